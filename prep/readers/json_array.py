"""JSON files: one array of objects (or one object), parsed element by element.

The whole file is one document, so it is read whole (a gzipped one within ``max-input-bytes``); the elements are
decoded one at a time with ``raw_decode``, which gives each record its line and keeps only its two text values.
A ``.json`` file that holds one object per line (common in the wild) is read as JSONL. A document that is not a
JSON array of objects, or that breaks off, nests too deeply or holds an unparsable number, cannot be split into
records any more: that is an input error naming the line and column.
"""

from __future__ import annotations

import json
import sys

import polars as pl

from prep.errors import InputError
from prep.readers import jsonl
from prep.readers.records import FrameBuilder, json_type, repeated_key

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"line {line} column {pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def _value(text: str, pos: int, display: str, what: str):
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{display}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} "
            "(a .json file must hold one array of objects; use .jsonl for one object per line)"
        ) from None
    except RecursionError:
        why = f"is nested too deeply (more than about {sys.getrecursionlimit():,} levels)"
    except ValueError as exc:
        why = "holds an integer with too many digits" if "digits" in str(exc) else f"cannot be parsed ({exc})"
    except Exception as exc:  # noqa: BLE001 - a hostile document is an input error, never an internal one
        why = f"cannot be parsed ({type(exc).__name__})"
    raise InputError(f"{display}: {what} at {_where(text, pos)} {why}")


def read(raw: bytes, display: str, cols: tuple[str, str], limit: int) -> tuple[pl.DataFrame, dict, tuple]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    builder = FrameBuilder(cols)
    pos = _skip(text, 0)
    if pos == len(text):
        return builder.finish()
    if text[pos] == "{":
        first, end = _value(text, pos, display, "the first object")
        if _skip(text, end) < len(text):  # more after one object: one object per line
            return jsonl.from_bytes(raw, cols, limit)
        builder.add_records([(text.count("\n", 0, pos) + 1, first, None)])
        return builder.finish()
    if text[pos] != "[":
        value, _ = _value(text, pos, display, "the document")
        raise InputError(f"{display}: expected a JSON array of objects, got {json_type(value)}")
    pos = _skip(text, pos + 1)
    line, seen = 1, 0  # the line at ``seen``, counted incrementally
    records = []
    index = 0
    while True:
        if pos < len(text) and text[pos] == "]":
            break
        line += text.count("\n", seen, pos)
        seen = pos
        obj, end = _value(text, pos, display, f"record {index}")
        if end - pos > limit:
            records.append((line, None, f"record {index} is {end - pos:,} characters, over max-record-bytes "
                                        f"({limit:,}); not read (line {line})"))
        elif (repeated := repeated_key(text[pos:end], obj, cols)) is not None:
            records.append((line, None, f"record {index}: {repeated} (line {line})"))
        elif not isinstance(obj, dict):
            records.append((line, None, f"record {index}: expected a JSON object, got {json_type(obj)} (line {line})"))
        else:
            records.append((line, obj, None))
        del obj
        index += 1
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
        elif pos >= len(text) or text[pos] != "]":
            raise InputError(
                f"{display}: invalid JSON at {_where(text, min(pos, len(text)))}: expected ',' or ']' after record "
                f"{index - 1} (a .json file must hold one array of objects; use .jsonl for one object per line)"
            )
        if len(records) >= 10_000:
            builder.add_records(records)
            records = []
    builder.add_records(records)
    if _skip(text, pos + 1) < len(text):
        raise InputError(f"{display}: invalid JSON at {_where(text, _skip(text, pos + 1))}: extra data after the array")
    return builder.finish()
