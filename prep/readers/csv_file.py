"""CSV files (comma-separated, RFC 4180 quoting, a header row), read record by record with their lines.

Python's ``csv`` module reads the records, because only a CSV state machine knows where a record with quoted
newlines starts and ends, and every finding needs that line; it is C code, one Python call per record. The lines
come from :func:`prep.readers.stream.iter_segments`, so a line over ``max-record-bytes`` is never held whole; the
record holding it is an IO001 record.

The header names the columns. A wanted column that the header holds twice (``prompt,completion,prompt``) is
ambiguous: it is not guessed, it is missing, and SC001 says why. A record whose field count differs from the
header's, or that breaks the quoting, is an IO001 record with its line; an empty field is null.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import polars as pl

from prep.dataset import SCHEMA, UNREADABLE
from prep.readers.records import check_mostly_unreadable, strings_without_surrogates
from prep.readers.stream import Segment

_EMPTY = "\n"  # what a line that is not passed on becomes for the csv module (the record holding it is flagged)
BLANK_RUN = 1000


class _Lines:
    """The decoded lines for ``csv.reader``, and which physical line each one is.

    Two kinds of line are not passed on as they are, so that hostile input costs neither memory nor time: a line
    over the limit (never held whole) and a run of :data:`BLANK_RUN` or more blank lines (millions of empty lines
    would each cost a Python call) both become one empty line. A record that spans one of them is flagged.
    """

    def __init__(self, segments: Iterator[Segment], limit: int) -> None:
        self.segments, self.limit = segments, limit
        self.physical: list[int] = [0]  # the physical line of each line passed on (1-based; index 0 unused)
        self.flagged: dict[int, str] = {}  # passed-on line -> why the record holding it is not read
        self.recent: list[str] = []

    def _pass(self, physical: int, text: str) -> str:
        self.physical.append(physical)
        self.recent.append(text)
        return text

    def take(self) -> str:
        """The text passed on since the last call: the record the reader has just read."""
        text, self.recent = "".join(self.recent), []
        return text

    def __iter__(self) -> Iterator[str]:
        for index, segment in enumerate(self.segments):
            if segment.data is None:
                self.flagged[len(self.physical)] = f"a line of {segment.size:,} bytes, over max-record-bytes ({self.limit:,})"
                yield self._pass(segment.first, _EMPTY)
                continue
            data = segment.data
            expected = segment.first  # the next physical line
            for number, start, end in segment.solid_lines():
                yield from self._blanks(expected, number)
                if end - start > self.limit:
                    self.flagged[len(self.physical)] = f"a line of {end - start:,} bytes, over max-record-bytes ({self.limit:,})"
                    yield self._pass(number, _EMPTY)
                else:
                    text = data[start:end].decode("utf-8", errors="replace")
                    if number == 1:
                        text = text.removeprefix("\ufeff")
                    yield self._pass(number, text if end == len(data) else text + "\n")
                expected = number + 1
            yield from self._blanks(expected, segment.first + segment.line_count)

    def _blanks(self, first: int, stop: int) -> Iterator[str]:
        """The empty lines ``first`` to ``stop - 1``: passed on one by one (they may be inside a quoted field),
        or, from :data:`BLANK_RUN` on, as one flagged line."""
        if stop - first >= BLANK_RUN:
            self.flagged[len(self.physical)] = f"{stop - first:,} blank lines in a row"
            yield self._pass(first, _EMPTY)
            return
        for number in range(first, stop):
            yield self._pass(number, _EMPTY)


def quoted_fields(record: str) -> list[bool]:
    """Whether each field of one CSV record (as the csv module reads it, default dialect) starts with a quote:
    the csv module reads ``""`` and an empty field alike, and only the first is an empty string."""
    flags, i, n = [], 0, len(record)
    while True:
        quoted = i < n and record[i] == '"'
        flags.append(quoted)
        if quoted:
            i += 1
            while i < n:
                if record[i] == '"':
                    if i + 1 < n and record[i + 1] == '"':
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
        while i < n and record[i] not in ",\r\n":
            i += 1
        if i < n and record[i] == ",":
            i += 1
            continue
        return flags


def read(segments: Iterator[Segment], cols: tuple[str, str], limit: int) -> tuple[pl.DataFrame, dict, tuple, dict]:
    """(frame, columns used, header, ambiguous columns: wanted name -> 1-based positions in the header)."""
    source = _Lines(segments, limit)
    csv.field_size_limit(max(limit, 1 << 20))
    reader = csv.reader(iter(source), strict=True)
    out: dict[str, list] = {name: [] for name in SCHEMA if name != "row"}
    header: list[str] | None = None
    picked: list[int | None] = [None, None]
    ambiguous: dict[str, list[int]] = {}

    def add(line, values=(None, None), types=(None, None), problem=None):
        out["line"].append(line)
        out["prompt"].append(values[0])
        out["completion"].append(values[1])
        out["prompt_type"].append(types[0])
        out["completion_type"].append(types[1])
        out["problem_kind"].append(UNREADABLE if problem else None)
        out["problem"].append(problem)

    done = 0  # the last line the reader consumed (of those passed on)
    unreadable = 0
    while True:
        begin = done + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            done = reader.line_num
            source.take()
            start = source.physical[min(begin, len(source.physical) - 1)]
            why = str(exc)
            if "new-line character" in why:  # Python's advice about universal-newline mode does not apply here
                why = "a carriage return (CR) inside an unquoted field; the file may use CR-only line endings " \
                      "(prep splits lines at LF or CRLF)"
            add(start, problem=f"line {start}: malformed CSV record: {why}")
            unreadable += 1
            if "EOF" in str(exc) or "end of data" in str(exc):
                break
            continue
        done = reader.line_num
        raw = source.take()
        if not fields and not any(n in source.flagged for n in range(begin, done + 1)):
            continue  # a blank line (or a run of them, outside any record)
        start = source.physical[begin]
        flagged = [source.flagged[n] for n in range(begin, done + 1) if n in source.flagged]
        if flagged and (fields or "bytes" in flagged[0]):
            add(start, problem=f"line {start}: record holds {flagged[0]}; not read")
            unreadable += 1
            continue
        if not fields:
            continue
        if header is None:
            header = fields
            for i, wanted in enumerate(cols):
                exact = [k for k, name in enumerate(header) if name == wanted]
                folded = [k for k, name in enumerate(header) if name.lower() == wanted.lower()]
                matches = exact or folded
                if len(matches) == 1:
                    picked[i] = matches[0]
                elif len(matches) > 1:
                    ambiguous[wanted] = [k + 1 for k in matches]
            continue
        if len(fields) != len(header):
            add(start, problem=f"line {start}: {len(fields)} fields, the header has {len(header)}")
            unreadable += 1
            if unreadable % 1000 == 0:
                check_mostly_unreadable(unreadable, len(out["line"]))
            continue
        values = [None if k is None else fields[k] for k in picked]
        if "" in values:  # rare: an empty field is null unless it was quoted ("")
            quoted = quoted_fields(raw)
            values = [v if v != "" or (k is not None and k < len(quoted) and quoted[k]) else None
                      for k, v in zip(picked, values)]
        types = ["missing" if k is None else ("null" if v is None else "string") for k, v in zip(picked, values)]
        add(start, values, types)
    check_mostly_unreadable(unreadable, len(out["line"]))
    for name in ("prompt", "completion"):
        out[name] = strings_without_surrogates(out[name])
    frame = pl.DataFrame(out, schema={n: d for n, d in SCHEMA.items() if n != "row"})
    frame = frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)).select(list(SCHEMA))
    header = header or []
    columns = {"prompt": None if picked[0] is None else header[picked[0]],
               "completion": None if picked[1] is None else header[picked[1]]}
    return frame, columns, tuple(header), ambiguous
