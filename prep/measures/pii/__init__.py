"""PII detection with presidio-analyzer: offline by construction, fast on whole columns, never leaking values.

- **Offline**: the NLP engine is a blank spaCy English pipeline (tokenizer only, nothing to download), so the
  pattern and checksum recognizers work (email, phone, credit card, US SSN, IBAN, IP address, ...). If a spaCy NER
  model is installed and named (``spacy_model``), PERSON / LOCATION / NRP detection turns on too. presidio's
  e-mail recognizer validates domains with ``tldextract``, whose default extractor downloads the public-suffix list:
  it is replaced by one that only uses the snapshot bundled with tldextract.
- **Fast**: a polars prefilter over the whole column (:data:`PREFILTERS`, one necessary condition per entity type:
  any text presidio would flag matches it) selects candidate texts, and for each one the entity types whose
  condition it meets; only those go to presidio, restricted to those types, on two processes when there are many.
  presidio's recognizers, its context enhancement and its duplicate removal work per entity type, so the findings
  are the same as analysing every row with every type. Phone numbers, the costly part, are searched only in the
  windows of text that can hold one (see "phone numbers in windows" below), and the blank pipeline's tokenizer,
  whose output no enabled recognizer reads, is skipped. ``bench/pii_bench.py`` compares with presidio on every
  row of a whole file.
- **Never leaking**: detections carry entity type, span, score and a masked form of the value (``j***@e***.com``,
  ``****1111``); the raw value never leaves this module. Spans that are placeholders of already redacted text
  (``[NAME]``, ``<EMAIL>``, ``{{phone_number}}``) are not PII.
"""

from __future__ import annotations

from prep.measures.pii.analyzer import LANGUAGE, analyzer
from prep.measures.pii.detector import Detector
from prep.measures.pii.masking import (
    DEFAULT_ENTITIES,
    DEFAULT_ERROR_ENTITIES,
    DEFAULT_THRESHOLDS,
    DEFAULT_WARNING_ENTITIES,
    Detection,
    is_placeholder,
    mask,
    redact,
)
from prep.measures.pii.pool import PARALLEL_MIN_TEXTS, PendingDetections
from prep.measures.pii.prefilter import PHONE_REGIONS, PHONE_REGIONS_WITH_DE, PREFILTERS

__all__ = [
    "DEFAULT_ENTITIES", "DEFAULT_ERROR_ENTITIES", "DEFAULT_THRESHOLDS", "DEFAULT_WARNING_ENTITIES", "LANGUAGE",
    "PARALLEL_MIN_TEXTS", "PHONE_REGIONS", "PHONE_REGIONS_WITH_DE", "PREFILTERS", "Detection", "Detector",
    "PendingDetections", "analyzer", "is_placeholder", "mask", "redact",
]
