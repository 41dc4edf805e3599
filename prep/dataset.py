"""A loaded source: one file (or frame) of prompt/completion records, as a polars frame.

Every record the reader saw is a row of ``Source.frame``, readable or not, so no record is ever dropped
silently: an unreadable record keeps its row with ``problem_kind`` set, and the rules report it.

Frame columns:

- ``row``: 0-based record index in the source (blank JSONL lines are not records).
- ``line``: 1-based line where the record starts, where the format tells it (JSONL, CSV read record by record).
- ``prompt``, ``completion``: the text, or null when the value is not a string.
- ``prompt_type``, ``completion_type``: ``string``, ``null``, ``missing`` (no such key in this record),
  ``number``, ``boolean``, ``array``, ``object``, or another type name a typed format (Parquet) reports; null
  when the record itself could not be read.
- ``problem_kind``, ``problem``: set when the record could not be turned into a prompt/completion pair
  (:data:`UNREADABLE`, or :data:`UNCONVERTIBLE_CHAT` for a chat that is not a single turn), with a message.
  The rules that report these rows ask for them by kind (:meth:`Source.problem_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

TEXT_FIELDS = ("prompt", "completion")

# Why a record has no prompt/completion pair (``problem_kind``).
UNREADABLE = "unreadable"  # not a record of the format, or over a limit
UNCONVERTIBLE_CHAT = "unconvertible-chat"  # a chat that is not one user turn and one assistant reply

SCHEMA = {
    "row": pl.Int64,
    "line": pl.Int64,
    "prompt": pl.String,
    "completion": pl.String,
    "prompt_type": pl.String,
    "completion_type": pl.String,
    "problem_kind": pl.String,
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

    def problem_rows(self, kind: str) -> pl.DataFrame:
        """Records the reader could not turn into a pair, of one problem ``kind``: ``row``, ``line``, ``problem``."""
        return self.frame.filter(pl.col("problem_kind") == kind).select("row", "line", "problem")

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind,
            "rows": self.n_records,
            "bytes": self.size_bytes,
            "columns": dict(self.columns),
        }

