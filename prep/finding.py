"""The one record every rule produces and every reporter consumes."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is: an ``error`` fails ``prep lint`` (exit 1), a ``warning`` or ``info`` does not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        try:
            return cls(value.lower())
        except (ValueError, AttributeError):
            raise ValueError(f"unknown severity {value!r}; use error, warning or info") from None


@dataclass(frozen=True)
class Finding:
    """One problem found in the data.

    ``row`` is the 0-based record index in its source (``None`` for findings about a whole source or the whole
    run); ``field`` is ``prompt``, ``completion`` or ``None``. ``message`` carries the measured value; ``data``
    carries the same facts as structured, JSON-serialisable values.
    """

    code: str
    name: str
    severity: Severity
    message: str
    source: str
    row: int | None = None
    field: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)
    # What ``prep prepare`` acts on, typed (never written out): :class:`Spans` or :class:`Copy`, per the rule's
    # :attr:`~prep.engine.rule.Rule.prepare` action.
    evidence: Any = dataclasses.field(default=None, compare=False, hash=False, repr=False)


    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "source": self.source,
            "row": self.row,
            "field": self.field,
            "data": self.data,
        }


@dataclass(frozen=True)
class Spans:
    """Evidence of a redacting rule: the spans of the field to redact, each with ``start``, ``end`` and ``entity``
    (the typed placeholder ``[ENTITY]`` replaces it)."""

    spans: tuple[Any, ...]


@dataclass(frozen=True)
class Copy:
    """Evidence of a keep-one rule: the row is a copy of ``kept_row`` (None: the rule marks no copy here, as for a
    cluster too large to trust)."""

    kept_row: int | None
