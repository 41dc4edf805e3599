"""Parquet files: only the two text columns are read (polars), each value checked against ``max-record-bytes``.

Parquet has no lines; a record's location is its 1-based row, kept in ``line`` so that every format points at
its records the same way. A text value over the limit is not kept: its record is IO001 with its size.
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from prep.dataset import UNREADABLE
from prep.errors import InputError
from prep.quoting import quote
from prep.readers.records import from_typed_frame, resolve_column


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return quote(text.splitlines()[0], 200) if text else type(exc).__name__


def read(data: Path | bytes, display: str, cols: tuple[str, str], limit: int) -> tuple[pl.DataFrame, dict, tuple]:
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        schema = pl.read_parquet_schema(source)
        names = list(schema)
        wanted = [c for c in dict.fromkeys(resolve_column(c, names) for c in cols) if c is not None]
        if isinstance(source, io.BytesIO):
            source.seek(0)
        if wanted:
            table = pl.read_parquet(source, columns=wanted)
        else:  # neither column: the records still count (SC001 reports the columns)
            table = pl.select(pl.repeat(None, _rows(source), dtype=pl.Null).alias("\0 no text column"))
    except Exception as exc:  # noqa: BLE001 - polars raises several unrelated types for corrupt files
        why = _first_line(exc)
        if "more than one occurrence" in why:
            why += " (duplicate column names: ambiguous, rename them)"
        raise InputError(f"{display}: not a readable Parquet file: {why}") from None
    frame, columns, _ = from_typed_frame(table, cols)
    frame = frame.with_columns(line=pl.col("row") + 1)
    size = pl.max_horizontal(*[pl.col(f).str.len_bytes().fill_null(0) for f in ("prompt", "completion")])
    over = frame.select(pl.arg_where(size > limit)).to_series()
    if len(over):  # rare: a Python loop over the oversize rows only
        sizes = frame.select(size.gather(over)).to_series().to_list()
        problems = frame["problem"].to_list()
        for row, n in zip(over.to_list(), sizes):
            problems[row] = f"row {row + 1}: a value is {n:,} bytes, over max-record-bytes ({limit:,}); not read"
        hit = pl.Series(range(frame.height)).is_in(over.to_list())
        frame = frame.with_columns(
            pl.when(hit).then(pl.lit(UNREADABLE)).otherwise(pl.col("problem_kind")).alias("problem_kind"),
            pl.Series("problem", problems, dtype=pl.String),
            *[pl.when(hit).then(None).otherwise(pl.col(c)).alias(c)
              for c in ("prompt", "completion", "prompt_type", "completion_type")],
        )
    return frame, columns, tuple(names)


def _rows(source) -> int:
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return pl.scan_parquet(source).select(pl.len()).collect().item()
