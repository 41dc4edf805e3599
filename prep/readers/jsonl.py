"""JSONL (one JSON object per line), read as a stream of segments of whole lines.

Each segment (about 8 MB of lines) is read by polars when it is the common case (every line an object whose two
columns are strings under their exact names: multi-threaded, no Python object per value), and line by line
otherwise, which accounts for every bad line. Memory is the data kept plus one segment, whatever the file.

A line over ``max_record_bytes`` is never held whole (see :mod:`prep.readers.stream`): it becomes an IO001 record
with its line and size. Lines of JSON whitespace only (space, tab, CR) separate nothing and hold no record; any
other line that is not one JSON value (a form feed, deep nesting, a number with thousands of digits) is an IO001
record with its line.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator

import numpy as np
import polars as pl

from prep.dataset import SCHEMA
from prep.readers.records import FrameBuilder, Record, repeated_key
from prep.readers.stream import Segment

BOM = b"\xef\xbb\xbf"
_JSON_SPACE = b" \t\r"
_DECODE = json.JSONDecoder().decode


def oversize(line: int, size: int, limit: int) -> Record:
    return line, None, f"line {line}: record is {size:,} bytes, over max-record-bytes ({limit:,}); not read"


def parse_line(number: int, line: bytes, cols: tuple[str, str] = ("prompt", "completion")) -> Record | None:
    """One JSONL line as a record; None for a blank line."""
    if not line.strip(_JSON_SPACE):
        return None
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("utf-8", errors="replace")  # TX001 reports the U+FFFD
    try:
        obj = _DECODE(text)
        repeated = repeated_key(text, obj, cols)
        return (number, None, f"line {number}: {repeated}") if repeated else (number, obj, None)
    except json.JSONDecodeError as exc:
        hint = ""
        if exc.msg == "Extra data" and "\r" in text:
            hint = "; the file may use CR-only line endings (prep splits lines at LF)"
        return number, None, f"line {number}: invalid JSON: {exc.msg} (column {exc.colno}){hint}"
    except RecursionError:
        return number, None, (
            f"line {number}: invalid JSON: nested too deeply (more than about {sys.getrecursionlimit():,} levels)"
        )
    except ValueError as exc:  # Python's limit on the digits of an integer
        what = "an integer has too many digits" if "digits" in str(exc) else type(exc).__name__
        return number, None, f"line {number}: invalid JSON: {what}"
    except Exception as exc:  # noqa: BLE001 - whatever the parser raises on a hostile line is that line's problem
        return number, None, f"line {number}: invalid JSON: cannot parse ({type(exc).__name__})"


def records_of(segment: Segment, limit: int, cols: tuple[str, str] = ("prompt", "completion")) -> Iterator[Record]:
    """The records of a segment's non-blank lines (blank lines are skipped in C, never one by one)."""
    if segment.data is None:
        yield oversize(segment.first, segment.size, limit)
        return
    data = segment.data
    for number, start, end in segment.solid_lines(_JSON_SPACE):
        if end - start > limit:
            yield oversize(number, end - start, limit)
            continue
        record = parse_line(number, data[start : end + 1], cols)  # with its newline: the JSON errors name it
        if record is not None:
            yield record


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _has_lone_surrogate_escape(raw: bytes) -> bool:
    """Whether a ``\\uD800``-``\\uDFFF`` escape is not part of a high-low pair (escaped backslashes counted)."""
    pending_high = -1  # end of the last real high-surrogate escape, waiting for its low half
    for m in _SURROGATE_ESCAPE.finditer(raw):
        start = m.start()
        backslashes = len(raw[max(0, start - 64) : start]) - len(raw[max(0, start - 64) : start].rstrip(b"\\"))
        if backslashes % 2:  # "\\uD800": an escaped backslash and plain text
            continue
        low = m.group()[3:4] in b"cdefCDEF"
        if low and pending_high == start:
            pending_high = -1
        elif low or pending_high != -1:
            return True
        else:
            pending_high = m.end()
    return pending_high != -1


def _longest_line(raw: bytes) -> int:
    ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(raw)]))
    return int((ends - starts).max()) if len(ends) else len(raw)


def read_polars(raw: bytes, cols: tuple[str, str], first_line: int = 1,
                limit: int | None = None) -> tuple[pl.DataFrame, tuple] | None:
    """The common case, read by polars: every line a JSON object whose two columns are strings under their exact
    names. None when the lines may be anything else, and the line-by-line reader then gives its exact account
    (bad lines, missing keys, nulls, numbers, chats, ...). Rows of the frame are unnumbered (no ``row``).

    polars would differ from that reader silently on some inputs, so these are checked first, on the bytes:
    blank lines (line numbers), escaped surrogates (polars turns a lone one into U+0000), a key given twice or
    nested (polars keeps the first, json the last), and non-string values (polars casts a number to a string):
    each key must occur exactly once per line, as ``"key": "``. A false alarm only costs the slow path.
    """
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if not raw.strip() or b"\n\n" in raw or b"\n\r\n" in raw or raw.startswith((b"\n", b"\r\n")):
        return None
    if limit is not None and len(raw) > limit and _longest_line(raw) > limit:
        return None
    for key in cols:
        quoted = re.escape(json.dumps(key).encode())
        if len(re.findall(quoted + rb"\s*:\s*\"", raw)) != lines or len(re.findall(b"(?i)" + quoted + rb"\s*:", raw)) != lines:
            return None  # (the second count, case-insensitive, also refuses a PROMPT beside the prompt)
    if _has_lone_surrogate_escape(raw):
        return None
    try:
        # only the two columns: inferring the schema of everything else costs polars time cubic in the nesting
        # depth (a 1,000-deep value in an unused key took 40 s)
        table = pl.read_ndjson(io.BytesIO(raw), schema={key: pl.String for key in cols})
    except Exception:  # noqa: BLE001 - any problem polars has: the line-by-line reader explains it
        return None
    names = list(cols)
    if table.height != lines or any(table[key].null_count() for key in cols):
        return None
    frame = pl.DataFrame(
        {
            "line": pl.int_range(first_line, first_line + table.height, eager=True, dtype=pl.Int64),
            "prompt": table[cols[0]],
            "completion": table[cols[1]],
        }
    ).with_columns(
        prompt_type=pl.lit("string"),
        completion_type=pl.lit("string"),
        problem_kind=pl.lit(None, dtype=pl.String),
        problem=pl.lit(None, dtype=pl.String),
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items() if name != "row"]), tuple(names)


def read(segments: Iterator[Segment], cols: tuple[str, str], limit: int) -> tuple[pl.DataFrame, dict, tuple]:
    builder = FrameBuilder(cols)
    for index, segment in enumerate(segments):
        if index == 0 and segment.data is not None and segment.data.startswith(BOM):
            segment = Segment(segment.first, segment.data[len(BOM) :])
        fast = read_polars(segment.data, cols, segment.first, limit) if segment.data else None
        if fast is not None:
            builder.add_frame(*fast)
        else:
            builder.add_records(records_of(segment, limit, cols))
        del segment, fast  # one segment in memory at a time
        builder.check_mostly_unreadable()
    return builder.finish()


def from_bytes(raw: bytes, cols: tuple[str, str], limit: int) -> tuple[pl.DataFrame, dict, tuple]:
    """A JSONL file already in memory (a ``.json`` file that holds one object per line)."""
    return read(iter([Segment(1, raw)]), cols, limit)

