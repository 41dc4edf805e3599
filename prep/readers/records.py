"""From parsed records to the source frame (:data:`prep.dataset.SCHEMA`), shared by every reader.

A record is ``(line, object, problem)``: the 1-based line where it starts (None where the format has no lines), the
parsed object (None when it could not be parsed), and a problem message (None when it could). Only the two text
values of each record are kept; every record keeps its row, readable or not.

Chat records (``{"messages": [...]}``) are converted when they are a single turn: an optional system message, one
user message, one assistant message, in that order. The prompt is the system text, a blank line and the user text;
the completion is the assistant text. Any other chat keeps its row and is reported (SC005).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from prep.dataset import SCHEMA, TEXT_FIELDS, UNCONVERTIBLE_CHAT, UNREADABLE
from prep.errors import InputError
from prep.quoting import quote, quote_values

Record = tuple[int | None, Any, str | None]
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_type(value: Any) -> str:
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


def chat_pair(messages: Any) -> tuple[str | None, str | None, str | None]:
    """(prompt, completion, problem) for a ``messages`` list."""
    if not isinstance(messages, list) or not messages:
        return None, None, "'messages' must be a non-empty list of {role, content} objects"
    roles: list[str] = []
    contents: list[str] = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            return None, None, f"message {i} is {json_type(message)}, expected an object"
        role, content = message.get("role"), message.get("content")
        if not isinstance(content, str):
            return None, None, f"message {i} ({quote(str(role))}) has {json_type(content)} content, expected a string"
        roles.append(str(role))
        contents.append(content)
    if roles == ["user", "assistant"]:
        return contents[0], contents[1], None
    if roles == ["system", "user", "assistant"]:
        return f"{contents[0]}\n\n{contents[1]}", contents[2], None
    counts = {r: roles.count(r) for r in dict.fromkeys(roles)}
    others = sorted(set(counts) - {"system", "user", "assistant"})
    if "user" not in counts:
        why = "has no user message"
    elif "assistant" not in counts:
        why = "has no assistant message"
    elif counts.get("user", 0) > 1 or counts.get("assistant", 0) > 1:
        why = f"is multi-turn ({counts.get('user', 0)} user, {counts.get('assistant', 0)} assistant messages)"
    elif others:
        why = f"has unsupported roles: {', '.join(quote_values(others))}"
    else:
        why = f"has its messages out of order ({' > '.join(roles)})"
    return None, None, f"chat {why}; only single-turn chats (system?, user, assistant) convert to prompt/completion"


def _pairs(pairs: list) -> dict:
    counts: dict = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    out = dict(pairs)
    repeated = {k: n for k, n in counts.items() if n > 1}
    if repeated:
        out[_REPEATED] = repeated
    return out


_REPEATED = object()  # the key under which _pairs records repeated keys of an object
_PAIRS_DECODER = json.JSONDecoder(object_pairs_hook=_pairs)


def repeated_key(text: str, obj: Any, cols: Sequence[str]) -> str | None:
    """A problem message when a wanted key occurs more than once in a top-level object (``json`` would keep the
    last one silently); None otherwise. Checked again with a pairs-keeping decoder only when the raw text names a
    key twice, which is rare."""
    cols = (*cols, "messages")  # a chat's messages given twice are as ambiguous
    if not isinstance(obj, dict) or not any(text.count(json.dumps(c)[:-1]) > 1 for c in cols):
        return None
    try:
        pairs = _PAIRS_DECODER.decode(text) if text.lstrip().startswith("{") else None
    except (ValueError, RecursionError):
        return None
    repeated = pairs.get(_REPEATED, {}) if isinstance(pairs, dict) else {}
    for key, n in repeated.items():
        if isinstance(key, str) and any(key.lower() == c.lower() for c in cols):
            return f"key '{quote(key)}' occurs {n} times in the record: ambiguous (JSON would keep the last), not read"
    return None


def key_of(wanted: str, obj: dict) -> str | None:
    """The record's key for a wanted column: exact, else the one key that differs only in case."""
    if wanted in obj:
        return wanted
    folded = wanted.lower()
    matches = [key for key in obj if isinstance(key, str) and key.lower() == folded]
    return matches[0] if len(matches) == 1 else None


def resolve_column(wanted: str, present: Sequence[str]) -> str | None:
    """The column for a wanted name: the one exact match, else the one that differs only in case; None when
    there is none, or more than one (a guess would be silent)."""
    exact = [c for c in present if c == wanted]
    if exact:
        return wanted if len(exact) == 1 else None
    folded = [c for c in present if c.lower() == wanted.lower()]
    return folded[0] if len(folded) == 1 else None


def strings_without_surrogates(values: list) -> list:
    """JSON escapes can produce lone surrogates, which are not valid UTF-8: keep them visible as U+FFFD."""
    try:
        pl.Series(values, dtype=pl.String)
        return values
    except UnicodeEncodeError:
        return [_SURROGATE.sub("\ufffd", v) if isinstance(v, str) else v for v in values]


MAX_UNREADABLE = 100_000


def check_mostly_unreadable(unreadable: int, records: int) -> None:
    if unreadable > MAX_UNREADABLE and unreadable * 10 > records * 9:
        raise InputError(
            f"{unreadable:,} of the first {records:,} records are unreadable: this is not a file of "
            "prompt/completion records"
        )


class FrameBuilder:
    """Builds one source frame from parsed records and from frames already in shape (the polars fast path),
    in input order; rows are numbered at the end.

    Adding records is a Python loop, because each parsed JSON value must be classified (string, null, number,
    ...) one by one; the garbage collector is paused meanwhile, since it would otherwise rescan the growing lists
    again and again.
    """

    def __init__(self, cols: tuple[str, str]) -> None:
        self.cols = cols
        self.parts: list[pl.DataFrame] = []
        self.keys: dict[str, None] = {}
        self.used: list[str | None] = [None, None]
        self.chats = 0
        self.records = 0
        self.unreadable = 0
        self._lists: dict[str, list] = self._empty()

    @staticmethod
    def _empty() -> dict[str, list]:
        return {name: [] for name in SCHEMA if name != "row"}

    def add_records(self, records: Iterable[Record]) -> None:
        out = self._lists
        enabled = gc.isenabled()
        gc.disable()
        try:
            for line, obj, problem in records:
                values, types, kind, problem = self._classify(line, obj, problem)
                out["line"].append(line)
                out["prompt"].append(values[0])
                out["completion"].append(values[1])
                out["prompt_type"].append(types[0])
                out["completion_type"].append(types[1])
                out["problem_kind"].append(kind)
                out["problem"].append(problem)
                self.records += 1
                self.unreadable += kind == UNREADABLE
        finally:
            if enabled:
                gc.enable()

    def _classify(self, line: int | None, obj: Any, problem: str | None) -> tuple[list, list, str | None, str | None]:
        """(values, types, problem kind, problem) of one record."""
        values: list[Any] = [None, None]
        types: list[str | None] = [None, None]
        if problem is None and not isinstance(obj, dict):
            where = f"line {line}" if line is not None else f"record {self.records}"
            problem = f"{where}: expected a JSON object, got {json_type(obj)}"
        if problem is not None:
            return values, types, UNREADABLE, problem
        self.keys.update(dict.fromkeys(k for k in obj if isinstance(k, str)))
        found = [key_of(c, obj) for c in self.cols]
        self.used = [u or k for u, k in zip(self.used, found)]
        for wanted, key in zip(self.cols, found):
            if key is None:
                alike = [k for k in obj if isinstance(k, str) and k.lower() == wanted.lower()]
                if len(alike) > 1:
                    where = f"line {line}" if line is not None else f"record {self.records}"
                    shown = " and ".join(f"'{k}'" for k in quote_values(alike))
                    return values, types, UNREADABLE, (
                        f"{where}: keys {shown} both match '{quote(wanted)}' (case differs): ambiguous, not read"
                    )
        if found == [None, None] and "messages" in obj:
            self.chats += 1
            prompt, completion, chat_problem = chat_pair(obj["messages"])
            if chat_problem is not None:
                return values, types, UNCONVERTIBLE_CHAT, chat_problem
            return [prompt, completion], ["string", "string"], None, None
        for i, key in enumerate(found):
            if key is None:
                types[i] = "missing"
                continue
            self.used[i] = self.used[i] or key
            value = obj[key]
            types[i] = "string" if isinstance(value, str) else json_type(value)
            values[i] = value if types[i] == "string" else None
        return values, types, None, None

    def check_mostly_unreadable(self) -> None:
        """Refuse a file that is mostly not records at all (a million lines of ``1``): past
        :data:`MAX_UNREADABLE` unreadable records making up nine in ten, it is not prompt/completion data, and
        keeping a row for each would only exhaust memory."""
        check_mostly_unreadable(self.unreadable, self.records)

    def _flush(self) -> None:
        if not self._lists["line"]:
            return
        out = self._lists
        for name in TEXT_FIELDS:
            out[name] = strings_without_surrogates(out[name])
        schema = {name: dtype for name, dtype in SCHEMA.items() if name != "row"}
        self.parts.append(pl.DataFrame(out, schema=schema))
        self._lists = self._empty()

    def add_frame(self, frame: pl.DataFrame, keys: Sequence[str]) -> None:
        """Rows already in shape (every column of SCHEMA but ``row``), read with the columns ``self.cols``."""
        self._flush()
        self.parts.append(frame)
        self.records += frame.height
        self.keys.update(dict.fromkeys(keys))
        self.used = [u or c for u, c in zip(self.used, self.cols)]

    def finish(self) -> tuple[pl.DataFrame, dict, tuple]:
        self._flush()
        frame = pl.concat(self.parts, how="vertical") if self.parts else pl.DataFrame(
            schema={n: d for n, d in SCHEMA.items() if n != "row"})
        frame = frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)).select(list(SCHEMA))
        columns = {"prompt": self.used[0], "completion": self.used[1]}
        if self.chats:
            columns = {name: self.used[i] or "messages" for i, name in enumerate(TEXT_FIELDS)}
        return frame, columns, tuple(self.keys)


def frame_from_records(records: Iterable[Record], cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    builder = FrameBuilder(cols)
    builder.add_records(records)
    return builder.finish()


def _type_name(dtype: pl.DataType) -> str:
    if dtype.is_numeric():
        return "number"
    if dtype == pl.Boolean:
        return "boolean"
    if isinstance(dtype, (pl.List, pl.Array)):
        return "array"
    if isinstance(dtype, pl.Struct):
        return "object"
    if dtype == pl.Binary:
        return "binary"
    return type(dtype).__name__.lower() if not isinstance(dtype, type) else dtype.__name__.lower()


def from_typed_frame(table: pl.DataFrame, cols: tuple[str, str]) -> tuple[pl.DataFrame, dict, tuple]:
    """Source frame from a frame whose columns already have types (Parquet, Snowpark results)."""
    resolved = [resolve_column(c, table.columns) for c in cols]
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
    exprs += [pl.lit(None, pl.String).alias("problem_kind"), pl.lit(None, pl.String).alias("problem")]
    frame = table.select(exprs) if table.width else pl.DataFrame(schema=SCHEMA)
    return frame.cast(SCHEMA), {"prompt": resolved[0], "completion": resolved[1]}, tuple(table.columns)
