"""Vectorized Python UDFs: thin hosts over prep's per-row measures, for the procedures and for a user's own SQL.

Snowflake calls a vectorized UDF's handler with one batch of rows as a pandas DataFrame whose columns ``0, 1, ...``
are the function's arguments, and takes back a pandas Series with one result per row, in the batch's order. The
handler is marked by the ``_sf_vectorized_input`` attribute (Snowflake's documented alternative to the
``_snowflake.vectorized`` decorator) and capped at :data:`MAX_BATCH_ROWS` rows a batch, so this module imports outside Snowflake too and the tests call the handlers
exactly as Snowflake does: on a DataFrame.

    SELECT PREP_DB.PREP.PREP_TOKEN_COUNT('llama3-8b', prompt) AS prompt_tokens,
           PREP_DB.PREP.PREP_PII(prompt) AS prompt_pii,
           PREP_DB.PREP.PREP_TEXT_FLAGS(prompt) AS prompt_flags
    FROM my_table;

Memory per batch: the batch's text, plus what each handler loads once per process and keeps (a tokenizer; for
PII, presidio's analyzer with the blank spaCy pipeline). A batch is tokenised in one call of the family's batch
API; for PII, polars prefilters the whole batch and presidio sees only the candidate texts. Nothing of a batch is
kept after its results are returned.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import polars as pl

from prep.catalog import load_catalog
from prep.errors import did_you_mean
from prep.measures.flags import encoding_flags, template_tokens, token_counts
from prep.measures.pii import (
    DEFAULT_ENTITIES,
    DEFAULT_THRESHOLDS,
    PHONE_REGIONS,
    Detector,
)
from prep.quoting import quote
from prep.tokenizers import count_tokens_family

# The most rows Snowflake hands a handler at once (``_sf_max_batch_size``, the attribute Snowpark's own
# ``max_batch_size`` writes; Snowflake may send fewer): what the tests and bench/udf_throughput.py measure, so a
# batch's memory is its 4,096 texts plus at most 13 MB over them (README, Performance).
MAX_BATCH_ROWS = 4096


def _vectorized(handler):
    handler._sf_vectorized_input = pd.DataFrame
    handler._sf_max_batch_size = MAX_BATCH_ROWS
    return handler


@lru_cache(maxsize=1)
def builtin_catalog():
    # The built-in catalog: a UDF has no project configuration, so a model added in [tool.prep.catalog] is unknown
    # here (the procedures take the catalog from their options).
    return load_catalog(None)


@_vectorized
def token_count(batch: pd.DataFrame) -> pd.Series:
    """``PREP_TOKEN_COUNT(base_model, text)``: the exact token count of ``text`` for ``base_model``'s tokenizer
    (raw text, no BOS/EOS), equal to ``prep.count_tokens``. NULL in either argument gives NULL; an unknown model
    fails the query with its name and the nearest known one."""
    models, texts = batch[0], batch[1]
    out = pd.Series(pd.NA, index=batch.index, dtype="Int64")
    known = models.notna() & texts.notna()
    catalog = builtin_catalog()
    # One tokenizer call per distinct model in the batch (six at most), not per row.
    for model in models[known].unique():
        if model not in catalog:
            raise ValueError(f"PREP_TOKEN_COUNT: unknown base model '{model}'{did_you_mean(model, catalog)}")
        rows = known & (models == model)
        out[rows] = count_tokens_family(catalog[model].tokenizer, texts[rows].tolist())
    return out


# prep lint's PII defaults: the entity types it reports, their minimum scores and the phone regions, offline.
DEFAULT_DETECTOR = Detector(entities=DEFAULT_ENTITIES, thresholds=DEFAULT_THRESHOLDS, phone_regions=PHONE_REGIONS)


@_vectorized
def pii(batch: pd.DataFrame) -> pd.Series:
    """``PREP_PII(text)``: the PII detections PI001 reports in ``text`` with its default options, as an ARRAY of
    ``{entity, start, end, score, masked}`` (character offsets; the masked form, never the value), in text order;
    an empty array for a text without any, NULL for NULL. Only the first ``prep.limits.SCAN_CHARS`` characters are
    scanned, as in ``prep lint``. One process: no worker pool inside a UDF."""
    texts = batch[0]
    present = texts.notna().to_numpy()
    values = pl.Series("text", texts[present].tolist(), dtype=pl.String)
    found = DEFAULT_DETECTOR.detect(values, processes=1) if len(values) else {}
    positions = present.nonzero()[0]
    results: list = [None] * len(texts)
    for k, position in enumerate(positions):
        results[position] = [
            {"entity": d.entity, "start": d.start, "end": d.end, "score": d.score, "masked": d.masked}
            for d in found.get(k, ())
        ]
    return pd.Series(results, index=batch.index, dtype=object)


@_vectorized
def text_flags(batch: pd.DataFrame) -> pd.Series:
    """``PREP_TEXT_FLAGS(text)``: what prep lint's per-text rules (TX001, TX002) see in ``text``, as an OBJECT
    ``{replacement_characters, control_characters, mojibake, quoted_printable, html_entities, template_tokens}``: the
    counts of U+FFFD and of control characters, the first likely mojibake sequence (quoted as in the findings; NULL
    when there is none), the quoted-printable escapes and soft line breaks of a text with quoted-printable residue,
    the HTML entities of a text without markup, and ``{token: occurrences}`` of chat-template tokens. NULL for
    NULL."""
    texts = batch[0]
    present = texts.notna().to_numpy()
    positions = present.nonzero()[0]
    rows = pl.DataFrame({"row": pl.Series(positions, dtype=pl.Int64),
                         "text": pl.Series(texts[present].tolist(), dtype=pl.String)})
    results: list = [None] * len(texts)
    for position in positions:
        results[position] = {"replacement_characters": 0, "control_characters": 0, "mojibake": None,
                             "quoted_printable": 0, "html_entities": 0, "template_tokens": {}}
    for row, replacement, control, mojibake, escapes, soft_breaks, entities in encoding_flags(rows).select(
            "row", "replacement", "control", "mojibake", "qp_escapes", "qp_soft_breaks", "html_entities").iter_rows():
        results[row].update(replacement_characters=replacement, control_characters=control,
                            mojibake=None if mojibake is None else quote(mojibake),
                            quoted_printable=escapes + soft_breaks, html_entities=entities)
    for row, tokens in template_tokens(rows).iter_rows():
        results[row]["template_tokens"] = token_counts(tokens)
    return pd.Series(results, index=batch.index, dtype=object)
