"""Detections, their masked form (never the value) and redaction with typed placeholders; PI001's default types."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# (prep.quoting), whatever the run's PI001 options.
DEFAULT_ERROR_ENTITIES = ("EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "PHONE_NUMBER")
DEFAULT_WARNING_ENTITIES = ("IP_ADDRESS", "CRYPTO")
DEFAULT_ENTITIES = DEFAULT_ERROR_ENTITIES + DEFAULT_WARNING_ENTITIES
DEFAULT_THRESHOLDS = (("PHONE_NUMBER", 0.4),)

_PLACEHOLDER = re.compile(r"^(?:\[\[?|<<?|\{\{?)\s*[A-Za-z][A-Za-z0-9_ .-]*\s*(?:\]\]?|>>?|\}\}?)$")


@dataclass(frozen=True)
class Detection:
    """One PII span: its type, position, presidio's score and a masked form of the value (never the value)."""

    entity: str
    start: int
    end: int
    score: float
    masked: str


def mask(entity: str, value: str) -> str:
    """A form of ``value`` that shows its shape and a few characters, never enough to recover it."""
    value = value.strip()
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.partition("@")
        labels = domain.split(".")
        suffix = "." + labels[-1] if len(labels) > 1 else ""
        return f"{local[:1]}***@{labels[0][:1]}***{suffix}"
    if entity == "IP_ADDRESS":
        return "***.***.***.***" if "." in value else "****:****"
    digits = re.sub(r"\D", "", value)
    if entity == "IBAN_CODE" and len(value) > 6:
        return f"{value[:2]}****{digits[-4:]}"
    if len(digits) >= 8:
        return "****" + digits[-4:]
    return value[:1] + "***" if len(value) > 3 else "***"


def is_placeholder(text: str, start: int, end: int) -> bool:
    """Whether a span is (inside) a placeholder such as ``[NAME]``, ``<EMAIL>`` or ``{{phone_number}}``."""
    lo = max(0, text.rfind(" ", 0, start) + 1)
    hi = text.find(" ", end)
    token = text[lo : (len(text) if hi < 0 else hi)].strip(".,;:!?\"'")
    return bool(_PLACEHOLDER.match(token)) or bool(_PLACEHOLDER.match(text[start:end]))


def redact(text: str, detections: Sequence[Detection]) -> str:
    """``text`` with each detected span replaced by its typed placeholder (``[EMAIL_ADDRESS]``); overlapping
    spans are merged into the first one's type."""
    out, cursor = [], 0
    for d in sorted(detections, key=lambda d: (d.start, -d.end)):
        if d.start < cursor:
            continue
        out += [text[cursor : d.start], f"[{d.entity}]"]
        cursor = d.end
    out.append(text[cursor:])
    return "".join(out)


