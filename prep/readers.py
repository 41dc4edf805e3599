"""Readers: JSONL, JSON (an array of objects), CSV and Parquet into a :class:`~prep.dataset.Source`.

Column mapping works like a SQL alias: ``prompt_col`` / ``completion_col`` name the columns that hold the prompt
and the completion. As with unquoted SQL identifiers, a name that matches no column exactly matches a column
that differs only in case (``PROMPT`` from a Snowflake export).

Chat records (``{"messages": [...]}``) are converted when they are a single turn: an optional system message,
one user message, one assistant message, in that order. The prompt is the system text, a blank line and the user
text; the completion is the assistant text. Any other chat keeps its row and is reported (SC005).

A record that cannot be parsed keeps its row and is reported with its line (IO001); the rest of the file is still
read. A file that is missing, unreadable, or of an unsupported kind raises :class:`~prep.errors.InputError`.
Invalid UTF-8 bytes are decoded as U+FFFD so that the rest of the record survives; TX001 reports them.
"""

from __future__ import annotations

import csv
import gc
import gzip
import io
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from prep.dataset import SCHEMA, TEXT_FIELDS, Source
from prep.errors import InputError
from prep.quoting import quote, quote_values

KINDS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_BOM = "\ufeff"
_BOM_BYTES = _BOM.encode("utf-8")
_SURROGATE = re.compile("[\ud800-\udfff]")


def detect_kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    kind = KINDS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        raise InputError(
            f"{path}: unsupported file type '{''.join(path.suffixes) or path.name}' "
            f"(expected .jsonl, .json, .csv or .parquet, optionally .gz)"
        )
    return kind


def read_source(
    path: str | Path,
    *,
    prompt_col: str = "prompt",
    completion_col: str = "completion",
    role: str = "train",
    name: str | None = None,
) -> Source:
    """Read one data file. Raises :class:`InputError` for files that cannot be read at all."""
    path = Path(path)
    kind = detect_kind(path)
    display = name or str(path)
    if not path.exists():
        raise InputError(f"{display}: no such file")
    if path.is_dir():
        raise InputError(f"{display}: is a directory, expected a data file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{display}: cannot read file: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{display}: not a valid gzip file: {exc}") from None
    cols = (prompt_col, completion_col)
    if kind == "parquet":
        frame, columns, available = _read_parquet(raw, display, cols)
    elif kind == "csv":
        frame, columns, available = _read_csv(raw, cols)
    elif kind == "json" and not _looks_like_jsonl(text := _decode(raw)):
        frame, columns, available = _frame_from_records(_json_array_records(text, display), cols)
        del text
    else:
        fast = _read_jsonl_polars(raw, cols)
        frame, columns, available = fast if fast is not None else _frame_from_records(_jsonl_records(raw), cols)
    return Source(
        name=display,
        frame=frame,
        role=role,
        kind=kind,
        columns=columns,
        size_bytes=len(raw),
        requested={"prompt": prompt_col, "completion": completion_col},
        available_columns=available,
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
    out, columns, available = _from_typed_frame(frame, (prompt_col, completion_col))
    return Source(
        name=name,
        frame=out,
        role=role,
        kind="frame",
        columns=columns,
        requested={"prompt": prompt_col, "completion": completion_col},
        available_columns=available,
    )


# --- text formats ---------------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
    return text[1:] if text.startswith(_BOM) else text


def _looks_like_jsonl(text: str) -> bool:
    """A ``.json`` file that holds one object per line (common in the wild) is read as JSONL."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc.msg == "Extra data"
    return False


# A record as the readers produce it: (line or None, parsed object or None, problem message or None).
Record = tuple[int | None, Any, str | None]


def _jsonl_records(raw: bytes) -> Iterator[Record]:
    """Records of a JSONL file, line by line from the bytes (no decoded copy of the whole file)."""
    decode = json.JSONDecoder().decode
    for number, line in enumerate(io.BytesIO(raw), start=1):
        if number == 1 and line.startswith(_BOM_BYTES):
            line = line[len(_BOM_BYTES) :]
        if not line.strip():
            continue  # blank lines separate nothing and hold no record
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode("utf-8", errors="replace")  # TX001 reports the U+FFFD
        try:
            obj = decode(text)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})"
            continue
        yield number, obj, None


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


def _read_jsonl_polars(raw: bytes, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple] | None:
    """The common case, read by polars (multi-threaded, no Python object per value): every line a JSON object
    whose two columns are strings under their exact names. None when the file may be anything else, and the
    line-by-line reader then gives its exact account (bad lines, missing keys, nulls, numbers, chats, ...).

    polars would differ from that reader silently on some inputs, so these are checked first, on the bytes:
    blank lines (line numbers), escaped surrogates (polars turns a lone one into U+0000), a key given twice or
    nested (polars keeps the first, json the last), and non-string values (polars casts a number to a string):
    each key must occur exactly once per line, as ``"key": "``. A false alarm only costs the slow path.
    """
    raw = raw.removeprefix(_BOM_BYTES)
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if not raw.strip() or b"\n\n" in raw or b"\n\r\n" in raw or raw.startswith((b"\n", b"\r\n")):
        return None
    for key in cols:
        quoted = re.escape(json.dumps(key).encode())
        if len(re.findall(quoted + rb"\s*:\s*\"", raw)) != lines or len(re.findall(quoted + rb"\s*:", raw)) != lines:
            return None
    if _has_lone_surrogate_escape(raw):
        return None
    try:
        table = pl.read_ndjson(io.BytesIO(raw), infer_schema_length=None)
    except Exception:  # noqa: BLE001 - any problem polars has: the line-by-line reader explains it
        return None
    names = table.columns
    if table.height != lines or any(
        table.schema.get(key) != pl.String
        or table[key].null_count()
        or sum(name.lower() == key.lower() for name in names) != 1
        for key in cols
    ):
        return None
    frame = pl.DataFrame(
        {
            "row": pl.int_range(0, table.height, eager=True, dtype=pl.Int64),
            "line": pl.int_range(1, table.height + 1, eager=True, dtype=pl.Int64),
            "prompt": table[cols[0]],
            "completion": table[cols[1]],
        }
    ).with_columns(
        prompt_type=pl.lit("string"),
        completion_type=pl.lit("string"),
        problem_code=pl.lit(None, dtype=pl.String),
        problem=pl.lit(None, dtype=pl.String),
    )
    return frame.select([pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()]), dict(zip(TEXT_FIELDS, cols)), tuple(names)


def _json_array_records(text: str, display: str) -> Iterator[Record]:
    if not text.strip():
        return iter(())
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{display}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg} "
            "(a .json file must hold one array of objects; use .jsonl for one object per line)"
        ) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise InputError(f"{display}: expected a JSON array of objects, got {_json_type(data)}")
    return ((None, obj, None) for obj in data)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _chat_pair(messages: Any) -> tuple[str | None, str | None, str | None]:
    """(prompt, completion, problem) for a ``messages`` list."""
    if not isinstance(messages, list) or not messages:
        return None, None, "'messages' must be a non-empty list of {role, content} objects"
    roles: list[str] = []
    contents: list[str] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return None, None, f"message {i} is {_json_type(message)}, expected an object"
        role, content = message.get("role"), message.get("content")
        if not isinstance(content, str):
            return None, None, f"message {i} ({quote(str(role))}) has {_json_type(content)} content, expected a string"
        roles.append(str(role))
        contents.append(content)
    if roles == ["user", "assistant"]:
        return contents[0], contents[1], None
    if roles == ["system", "user", "assistant"]:
        return f"{contents[0]}\n\n{contents[1]}", contents[2], None
    counts = {r: roles.count(r) for r in dict.fromkeys(roles)}
    if "user" not in counts:
        why = "has no user message"
    elif "assistant" not in counts:
        why = "has no assistant message"
    elif counts.get("user", 0) > 1 or counts.get("assistant", 0) > 1:
        why = f"is multi-turn ({counts.get('user', 0)} user, {counts.get('assistant', 0)} assistant messages)"
    elif set(counts) - {"system", "user", "assistant"}:
        why = f"has unsupported roles: {', '.join(quote_values(sorted(set(counts) - {'system', 'user', 'assistant'})))}"
    else:
        why = f"has its messages out of order ({' > '.join(roles)})"
    return None, None, (
        f"chat {why}; only single-turn chats (system?, user, assistant) convert to prompt/completion"
    )


def _key_of(wanted: str, obj: dict) -> str | None:
    """The record's key for a wanted column: exact, else the one key that differs only in case."""
    if wanted in obj:
        return wanted
    folded = wanted.lower()
    matches = [key for key in obj if isinstance(key, str) and key.lower() == folded]
    return matches[0] if len(matches) == 1 else None


def _frame_from_records(records: Iterable[Record], cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    """Build the source frame in one pass over parsed records, keeping only the two text values of each.

    A Python loop, because each parsed JSON value must be classified (string, null, number, ...) one by one; the
    garbage collector is paused meanwhile, since it would otherwise rescan the growing lists again and again.
    """
    out: dict[str, list] = {name: [] for name in SCHEMA}
    keys: dict[str, None] = {}
    used: list[str | None] = [None, None]
    chats = 0
    enabled = gc.isenabled()
    gc.disable()
    try:
        for index, (line, obj, problem) in enumerate(records):
            values: list[Any] = [None, None]
            types: list[str | None] = [None, None]
            code = None
            if problem is None and not isinstance(obj, dict):
                where = f"line {line}" if line is not None else f"record {index}"
                problem = f"{where}: expected a JSON object, got {_json_type(obj)}"
            if problem is not None:
                code = "IO001"
            else:
                keys.update(dict.fromkeys(obj))
                found = [_key_of(c, obj) for c in cols]
                if found == [None, None] and "messages" in obj:
                    chats += 1
                    prompt, completion, problem = _chat_pair(obj["messages"])
                    if problem is None:
                        values, types = [prompt, completion], ["string", "string"]
                    else:
                        code = "SC005"
                else:
                    for i, key in enumerate(found):
                        if key is None:
                            types[i] = "missing"
                            continue
                        used[i] = used[i] or key
                        value = obj[key]
                        types[i] = "string" if isinstance(value, str) else _json_type(value)
                        values[i] = value if types[i] == "string" else None
            out["row"].append(index)
            out["line"].append(line)
            out["prompt"].append(values[0])
            out["completion"].append(values[1])
            out["prompt_type"].append(types[0])
            out["completion_type"].append(types[1])
            out["problem_code"].append(code)
            out["problem"].append(problem)
    finally:
        if enabled:
            gc.enable()
    for name in TEXT_FIELDS:
        out[name] = _strings_without_surrogates(out[name])
    columns = {"prompt": used[0], "completion": used[1]}
    if chats:
        columns = {name: used[i] or "messages" for i, name in enumerate(TEXT_FIELDS)}
    return pl.DataFrame(out, schema=SCHEMA), columns, tuple(keys)


def _resolve_column(wanted: str, present: Iterable[str]) -> str | None:
    present = list(present)
    if wanted in present:
        return wanted
    folded = [c for c in present if c.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def _strings_without_surrogates(values: list) -> list:
    """JSON escapes can produce lone surrogates, which are not valid UTF-8: keep them visible as U+FFFD."""
    try:
        pl.Series(values, dtype=pl.String)
        return values
    except UnicodeEncodeError:
        return [_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in values]


# --- CSV ------------------------------------------------------------------------------------------------------


def _read_csv(raw: bytes, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    if not raw.strip():
        return _from_typed_frame(pl.DataFrame(), cols)
    try:
        table = pl.read_csv(io.BytesIO(raw), infer_schema=False, encoding="utf8-lossy")
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError):
        # polars stops at the first malformed record; the csv module finds each one and reads the rest.
        return _read_csv_records(raw, cols)
    return _from_typed_frame(table, cols)


def _read_csv_records(raw: bytes, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    reader = csv.reader(io.StringIO(_decode(raw), newline=""), strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return _from_typed_frame(pl.DataFrame(), cols)
    records: list[Record] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            records.append((start, None, f"line {start}: malformed CSV record: {exc}"))
            if "end of data" in str(exc) or "EOF" in str(exc):
                break
            continue
        if not fields:
            continue
        if len(fields) != len(header):
            records.append((start, None, f"line {start}: {len(fields)} fields, the header has {len(header)}"))
            continue
        obj = {name: (value if value != "" else None) for name, value in zip(header, fields)}
        records.append((start, obj, None))
    return _frame_from_records(records, cols)


# --- Parquet and frames ---------------------------------------------------------------------------------------


def _read_parquet(raw: bytes, display: str, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    try:
        table = pl.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # polars raises several unrelated types for corrupt files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{display}: not a readable Parquet file: {first}") from None
    return _from_typed_frame(table, cols)


def _type_name(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "array"
    if isinstance(dtype, pl.Struct):
        return "object"
    return str(dtype).lower()


def _from_typed_frame(table: pl.DataFrame, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    """Source frame from a frame whose columns already have types (CSV, Parquet, Snowpark results)."""
    resolved = [_resolve_column(c, table.columns) for c in cols]
    exprs: list[pl.Expr] = [
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        pl.lit(None, dtype=pl.Int64).alias("line"),
    ]
    for field_name, column in zip(TEXT_FIELDS, resolved):
        if column is None:
            exprs += [pl.lit(None, pl.String).alias(field_name), pl.lit("missing").alias(f"{field_name}_type")]
            continue
        dtype = table.schema[column]
        if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
            exprs += [
                pl.col(column).cast(pl.String).alias(field_name),
                pl.when(pl.col(column).is_null()).then(pl.lit("null")).otherwise(pl.lit("string")).alias(
                    f"{field_name}_type"
                ),
            ]
        else:
            exprs += [
                pl.lit(None, pl.String).alias(field_name),
                pl.when(pl.col(column).is_null())
                .then(pl.lit("null"))
                .otherwise(pl.lit(_type_name(dtype)))
                .alias(f"{field_name}_type"),
            ]
    exprs += [pl.lit(None, pl.String).alias("problem_code"), pl.lit(None, pl.String).alias("problem")]
    frame = table.select(exprs) if table.width else pl.DataFrame(schema=SCHEMA)
    return frame.cast(SCHEMA), {"prompt": resolved[0], "completion": resolved[1]}, tuple(table.columns)
