"""Readers: JSONL, JSON (an array of objects), CSV and Parquet, each optionally gzipped, into a
:class:`~prep.dataset.Source`; one module per format behind the table :data:`FORMATS`.

Column mapping works like a SQL alias: ``prompt_col`` / ``completion_col`` name the columns that hold the prompt
and the completion. As with unquoted SQL identifiers, a name that matches no column exactly matches the one
column that differs only in case (``PROMPT`` from a Snowflake export); two such columns are ambiguous, and the
column counts as missing (SC001 says why).

A record that cannot be parsed keeps its row and is reported with its line (IO001); the rest of the file is still
read. A file that is missing, not a regular file, unreadable, not UTF-8 text, a gzip bomb or of an unsupported
kind raises :class:`~prep.errors.InputError`. Invalid UTF-8 bytes inside a record are decoded as U+FFFD so that
the rest of the record survives; TX001 reports them. Reading is bounded (:class:`ReadLimits`): a record over
``max_record_bytes`` is reported with its size, never held whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import polars as pl

from prep.dataset import Source
from prep.errors import InputError
from prep.quoting import counted, quote_values
from prep.readers import csv_file, json_array, jsonl, parquet
from prep.readers.records import from_typed_frame
from prep.readers.stream import (
    BLOCK,
    ReadLimits,
    iter_segments,
    open_stream,
    read_all,
    sniff_text,
)

__all__ = ["FORMATS", "Columns", "ReadLimits", "detect_kind", "read_columns", "read_source", "source_from_frame"]


def _read_jsonl(stream, display, cols, limits):
    head = stream.read(BLOCK)
    sniff_text(head, display)
    return (*jsonl.read(iter_segments(stream, limits.max_record_bytes, head), cols, limits.max_record_bytes), {})


def _read_json(stream, display, cols, limits):
    raw = read_all(stream, display)
    sniff_text(raw[:4096], display)
    return (*json_array.read(raw, display, cols, limits.max_record_bytes), {})


def _read_csv(stream, display, cols, limits):
    head = stream.read(BLOCK)
    sniff_text(head, display)
    return csv_file.read(iter_segments(stream, limits.max_record_bytes, head), cols, limits.max_record_bytes)


def _read_parquet(stream, display, cols, limits):
    return (*parquet.read(read_all(stream, display), display, cols, limits.max_record_bytes), {})


# suffix -> (kind, reader). A reader takes (byte stream, display name, columns, limits) and returns
# (frame, columns used, columns seen, ambiguous columns). To add a format: one module and one line here.
FORMATS: dict[str, tuple[str, Callable]] = {
    ".jsonl": ("jsonl", _read_jsonl),
    ".ndjson": ("jsonl", _read_jsonl),
    ".json": ("json", _read_json),
    ".csv": ("csv", _read_csv),
    ".parquet": ("parquet", _read_parquet),
    ".pq": ("parquet", _read_parquet),
}
SUFFIXES = tuple(FORMATS)


def detect_kind(path: Path) -> str:
    return _format(path)[0]


def _format(path: Path) -> tuple[str, Callable]:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    found = FORMATS.get(suffixes[-1]) if suffixes else None
    if found is None:
        expected = ", ".join(dict.fromkeys(FORMATS))
        raise InputError(
            f"{path}: unsupported file type '{''.join(path.suffixes) or path.name}' (expected {expected}, "
            "optionally .gz)"
        )
    return found


def _display(path: Path) -> str:
    """The path as messages show it: bytes that are not UTF-8 in a file name (decoded by Python as lone
    surrogates) become escapes, so that every output can be encoded."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(ch if not 0xD800 <= ord(ch) <= 0xDFFF else f"\\x{ord(ch) - 0xDC00:02x}" for ch in text)
    return text


def read_source(
    path: str | Path,
    *,
    prompt_col: str = "prompt",
    completion_col: str = "completion",
    role: str = "train",
    name: str | None = None,
    limits: ReadLimits | None = None,
) -> Source:
    """Read one data file. Raises :class:`InputError` for files that cannot be read at all."""
    path = Path(path)
    kind, reader = _format(path)
    display = name or _display(path)
    limits = limits or ReadLimits()
    handle, stream = open_stream(path, display, limits)
    try:
        frame, columns, available, ambiguous = reader(stream, display, (prompt_col, completion_col), limits)
        size = stream.total if hasattr(stream, "total") else handle.tell()
    except OSError as exc:
        raise InputError(f"{display}: cannot read file: {exc.strerror or exc}") from None
    except InputError as exc:
        if str(exc).startswith(f"{display}: "):
            raise
        raise InputError(f"{display}: {exc}") from None
    finally:
        stream.close()
        handle.close()
    return Source(
        name=display,
        frame=frame,
        role=role,
        kind=kind,
        columns=columns,
        size_bytes=size,
        requested={"prompt": prompt_col, "completion": completion_col},
        available_columns=available,
        ambiguous=ambiguous,
    )


def source_from_frame(
    frame: pl.DataFrame,
    *,
    name: str,
    prompt_col: str = "prompt",
    completion_col: str = "completion",
    role: str = "train",
) -> Source:
    """A :class:`Source` from an in-memory polars frame (what the Snowpark handlers pass in)."""
    out, columns, available = from_typed_frame(frame, (prompt_col, completion_col))
    return Source(
        name=name,
        frame=out,
        role=role,
        kind="frame",
        columns=columns,
        requested={"prompt": prompt_col, "completion": completion_col},
        available_columns=available,
    )


class Columns(NamedTuple):
    """What :func:`read_columns` read: each name's values, how many of them are not text, and the source."""

    values: dict[str, pl.Series]  # name -> one value per record, null where not a string or not read
    not_text: dict[str, int]  # name -> records whose value is a number, boolean, array, object ... (read as null)
    source: Source  # the last reading: record count, columns seen, records that could not be read


def read_columns(path: str | Path, names: Sequence[str], *, limits: ReadLimits | None = None) -> Columns:
    """Named columns of one data file (``prep evaluate``'s reference and prediction columns), read by the same
    readers and with the same column matching as :func:`read_source` (exact name, else the one column that
    differs only in case), two columns per reading, so that the readers keep their two-column frame.

    Raises :class:`InputError` when the file cannot be read, has no records or none readable, or a name matches no
    column (the message lists the columns present) or several.
    """
    wanted = list(dict.fromkeys(names))
    if not wanted:
        raise InputError(f"{_display(Path(path))}: no column to read")
    values: dict[str, pl.Series] = {}
    not_text: dict[str, int] = {}
    for i in range(0, len(wanted), 2):
        pair = (wanted[i], wanted[i + 1] if i + 1 < len(wanted) else wanted[0])
        source = read_source(path, prompt_col=pair[0], completion_col=pair[1], limits=limits)
        if not source.n_records:
            raise InputError(f"{source.name}: no records")
        if source.frame["problem_kind"].null_count() == 0:
            raise InputError(f"{source.name}: no readable record among {counted(source.n_records, 'record')} "
                             "(prep lint says why)")
        for field_name, name in zip(("prompt", "completion"), pair):
            column = source.columns[field_name]
            if name in source.ambiguous or column is None or (column == "messages" and name.lower() != "messages"):
                raise InputError(_missing(source, name))
            if values and len(next(iter(values.values()))) != source.n_records:  # changed between two readings
                raise InputError(f"{source.name}: the file changed while it was read")
            types = source.frame[f"{field_name}_type"]
            values.setdefault(name, source.frame[field_name].alias(name))
            not_text.setdefault(name, int((~types.is_in(["string", "null", "missing"]) & types.is_not_null()).sum()))
    return Columns(values, not_text, source)


def _missing(source: Source, name: str) -> str:
    shown = quote_values([name, *source.available_columns])
    if name in source.ambiguous:
        where = ", ".join(str(k) for k in source.ambiguous[name])
        return f"{source.name}: column '{shown[0]}' is ambiguous (header positions {where}): rename the duplicates"
    present = ", ".join(f"'{c}'" for c in shown[1:]) or "none"
    return f"{source.name}: no column '{shown[0]}' (columns present: {present})"
