"""A loaded source: one file (or frame) of prompt/completion records, as a polars frame.

Every record the reader saw is a row of ``Source.frame``, readable or not, so no record is ever dropped
silently: an unreadable record keeps its row with ``problem_code`` set, and the rules report it.

Frame columns:

- ``row``: 0-based record index in the source (blank JSONL lines are not records).
- ``line``: 1-based line where the record starts, where the format tells it (JSONL, CSV read record by record).
- ``prompt``, ``completion``: the text, or null when the value is not a string.
- ``prompt_type``, ``completion_type``: ``string``, ``null``, ``missing`` (no such key in this record),
  ``number``, ``boolean``, ``array``, ``object``, or another type name a typed format (Parquet) reports; null
  when the record itself could not be read.
- ``problem_code``, ``problem``: set when the record could not be turned into a prompt/completion pair
  (``IO001`` unreadable record, ``SC005`` chat that is not a single turn), with a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

TEXT_FIELDS = ("prompt", "completion")

SCHEMA = {
    "row": pl.Int64,
    "line": pl.Int64,
    "prompt": pl.String,
    "completion": pl.String,
    "prompt_type": pl.String,
    "completion_type": pl.String,
    "problem_code": pl.String,
    "problem": pl.String,
}


@dataclass
class Source:
    """One input: its display name, its role in the run, and its records."""

    name: str
    frame: pl.DataFrame
    role: str = "train"  # "train" or "validation"
    kind: str = "frame"  # jsonl, json, csv, parquet or frame
    # The column each text field was read from, or None when no record has it.
    columns: dict[str, str | None] = field(default_factory=lambda: {"prompt": "prompt", "completion": "completion"})
    size_bytes: int | None = None
    # The column names asked for (``prompt_col`` / ``completion_col``), for messages.
    requested: dict[str, str] = field(default_factory=lambda: {"prompt": "prompt", "completion": "completion"})
    # Every column (or JSON key) the reader saw, for messages about missing columns.
    available_columns: tuple[str, ...] = ()
    # Wanted columns the header holds more than once (name -> 1-based positions): missing, not guessed.
    ambiguous: dict[str, list[int]] = field(default_factory=dict)

    @property
    def n_records(self) -> int:
        return self.frame.height

    def text_rows(self, field_name: str) -> pl.DataFrame:
        """Rows whose ``field_name`` is a string, with columns ``row`` and ``text``."""
        return self.frame.filter(pl.col(f"{field_name}_type") == "string").select(
            "row", pl.col(field_name).alias("text")
        )

    def pair_rows(self) -> pl.DataFrame:
        """Rows where both prompt and completion are strings: what Cortex would actually train on."""
        return self.frame.filter(
            (pl.col("prompt_type") == "string") & (pl.col("completion_type") == "string")
        ).select("row", "prompt", "completion")

    def problem_rows(self, code: str) -> pl.DataFrame:
        """Records the reader could not turn into a pair, for rule ``code``: ``row``, ``line``, ``problem``."""
        return self.frame.filter(pl.col("problem_code") == code).select("row", "line", "problem")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind,
            "rows": self.n_records,
            "bytes": self.size_bytes,
            "columns": dict(self.columns),
        }


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)
