"""The one record every rule produces and every reporter consumes."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any


class Severity(str, enum.Enum):
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
