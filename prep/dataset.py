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

    @property
    def unit(self) -> str:
        """What a 1-based place in this source is: ``line`` where the format has lines, else ``row``."""
        return "row" if self.kind in ("parquet", "frame") else "line"

    def number(self, row: int) -> int:
        """The 1-based place of record ``row`` that locations and messages show: the line where it starts (JSONL,
        JSON, CSV), or its 1-based row (Parquet, frames)."""
        if self.unit == "line" and 0 <= row < self.frame.height:
            frame = self.frame
            found = frame["line"][row] if frame["row"][row] == row else frame.filter(pl.col("row") == row)["line"].first()
            if found is not None:
                return found
        return row + 1

    def place(self, row: int) -> str:
        """How a message names record ``row``: ``line 7``, or ``row 7`` where the source has no lines."""
        return f"{self.unit} {self.number(row)}"

    def places(self, rows: list[int], limit: int = 5) -> str:
        """``lines 3, 17, 42`` or ``lines 3, 17, 42, 51, 60 and 12 more``: the records of ``rows`` as :meth:`place`
        names one."""
        shown = ", ".join(str(self.number(r)) for r in rows[:limit])
        more = f" and {len(rows) - limit:,} more" if len(rows) > limit else ""
        return f"{self.unit}{'s' * (len(rows) != 1)} {shown}{more}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "role": self.role,
            "kind": self.kind,
            "rows": self.n_records,
            "bytes": self.size_bytes,
            "columns": dict(self.columns),
        }

