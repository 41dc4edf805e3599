"""A deterministic generator of malformed and hostile inputs for ``prep lint`` and ``prep prepare``.

``generate(root)`` writes every case under ``root`` and returns the :class:`Case` list; ``catalog(root)`` returns
the same cases without writing anything (pytest needs the names at collection time, and the quick run should not
pay for writing multi-gigabyte gzip bombs it never opens). The same call always writes the same bytes: every
random choice comes from a generator seeded with the case's name, and every gzip header has mtime 0.

Each case states what a correct reader must do, as far as that is well defined:

- ``expected_records``: how many records a reader must account for (non-blank JSONL lines, CSV records, array
  elements, Parquet rows), so that ``prepare``'s train + validation + excluded can be checked against it; None
  where reasonable readers may differ (a line holding only a form feed: blank to Python, not to JSON);
- ``expect_in_output`` / ``expect_in_lint``: regular expressions (case-insensitive) the output must match where
  a reader would otherwise guess silently (a UTF-16 file read as UTF-8 garbage, a CSV whose ``prompt`` column is
  given twice);
- ``pii_values``: raw personal data planted in labels, column names, keys or unparseable lines, none of which
  may appear in any output.

Cases that cannot exist here (no mkfifo, a mode-000 file when running as root, which can read it anyway) carry a
``skip_reason``.
"""

from __future__ import annotations

import bz2
import csv
import decimal
import gzip
import io
import json
import os
import random
import re
import shutil
import socket
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1 << 20
GiB = 1 << 30


@dataclass
class Case:
    name: str  # unique, stable, kebab-case: the test id and the bench's example name
    path: Path  # what is passed as PATH
    kind: str  # jsonl, json, csv, parquet (with ".gz" when gzipped), or fs for file-system oddities
    tags: set[str] = field(default_factory=set)
    expected_records: int | None = None
    expect_in_output: list[str] = field(default_factory=list)  # every command
    expect_in_lint: list[str] = field(default_factory=list)  # lint only (annotation details such as line=4)
    heavy: bool = False  # large or slow: only in the slow suite, with the larger limits
    pii_values: list[str] = field(default_factory=list)
    skip_reason: str | None = None
    description: str = ""

    @property
    def quick(self) -> bool:
        return "quick" in self.tags


@dataclass
class Planned:
    """A case and the function that writes it (called at most once per root by :func:`generate`)."""

    case: Case
    writer: Callable[[Path, Case], None]
    own_dir: Path | None = None  # special cases live in a directory of their own, cleared before writing

    def materialize(self) -> Case:
        if self.case.skip_reason:  # known in advance (running as root): nothing to write
            return self.case
        path = self.case.path
        if self.own_dir is not None:
            _clear(self.own_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        _clear(path)
        try:
            self.writer(path, self.case)
        except OSError as exc:
            # Only the special files can fail (no FIFOs, sockets or symlinks on this file system): a skip, not
            # an error of the generator.
            if "fs" not in self.case.tags:
                raise
            self.case.skip_reason = f"cannot create {self.case.name} here: {exc}"
        return self.case


def _clear(path: Path) -> None:
    """Remove whatever a previous generation left at ``path`` (a symlink, FIFO, socket, file or directory)."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    elif path.is_dir():
        # a previous generation may have left a mode-000 directory in there, which rmtree cannot enter
        path.chmod(0o755)
        for parent, dirs, _ in os.walk(path):  # top-down: each directory is opened up before it is entered
            for name in dirs:
                sub = os.path.join(parent, name)
                if not os.path.islink(sub):
                    os.chmod(sub, 0o755)
        shutil.rmtree(path)


# --- output hints a silent guess would miss (regular expressions, case-insensitive) ------------------------------

UTF16 = r"utf-?16"
UTF32 = r"utf-?32"
UTF8 = r"(utf-?8|encod|decod|replacement|u\+fffd|latin|cp1252|invalid byte)"
DUPLICATE = r"(duplicate|ambiguous|twice|more than once|repeated)"
AMBIGUOUS = r"(ambiguous|duplicate|twice|more than one|several|both)"
CR_ONLY = r"(\bcr\b|carriage|line ending|line-ending|line break|\\r)"
GZIP_DAMAGE = r"(gzip|corrupt|crc|checksum|truncat|compress|end-of-stream|ended|damaged)"


def _delimiter(sep_name: str, header: str) -> str:
    return rf"(delimit|separator|{sep_name}|{re.escape(header)})"


# --- data ------------------------------------------------------------------------------------------------------

WORDS = """account address after again answer app billing bank before broken browser cancel card change charge
check close code connect contract credit customer data delete delivery device discount download email error
every export failed fee file first fix form help home internet invoice issue item keep last late line link
login lost mobile modem month network new number offer online order package password payment phone plan please
price problem profile receipt refund renew reset restart return router screen send service setting shipping
slow speed start status still stopped subscription support switch ticket today transfer trip update upgrade
usage user video wallet week wifi window work wrong year yesterday""".split()


def _rng(tag: str) -> random.Random:
    return random.Random(zlib.crc32(tag.encode()))


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def _records(n: int, tag: str) -> list[dict]:
    """``n`` ordinary support-ticket records, varied enough not to be near duplicates of each other."""
    rng = _rng(tag)
    return [
        {"prompt": f"Ticket {i}: {_sentence(rng, 10, 24)}?", "completion": f"{_sentence(rng, 5, 14)}."}
        for i in range(n)
    ]


def _dump(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _good(n: int, tag: str) -> list[bytes]:
    return [_dump(r) for r in _records(n, tag)]


def _join(lines: Iterable[bytes], *, final: bool = True, sep: bytes = b"\n") -> bytes:
    lines = list(lines)
    return sep.join(lines) + (sep if final and lines else b"")


def _jsonl(records: Iterable) -> bytes:
    return _join(_dump(r) for r in records)


def _csv(header: Sequence[str] | None, rows: Iterable[Sequence], *, delimiter: str = ",", newline: str = "\n") -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8", "surrogatepass")


def _pairs(n: int, tag: str) -> list[list[str]]:
    return [[r["prompt"], r["completion"]] for r in _records(n, tag)]


def _gz(data: bytes, level: int = 9) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def _pa():
    """pyarrow, imported when a Parquet case is written rather than when the cases are listed."""
    import pyarrow

    return pyarrow


def _parquet(columns: dict | None = None, *, table=None, **options) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if table is None:
        table = pa.table(columns)
    buf = io.BytesIO()
    pq.write_table(table, buf, **options)
    return buf.getvalue()


def _texts(n: int, tag: str) -> tuple[list[str], list[str]]:
    records = _records(n, tag)
    return [r["prompt"] for r in records], [r["completion"] for r in records]


def _nest_array(depth: int) -> str:
    return "[" * depth + "]" * depth


def _nest_object(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _words_block(tag: str, size: int) -> bytes:
    """About ``size`` bytes of words (ASCII, no JSON escapes needed)."""
    rng = _rng(tag)
    out, total = [], 0
    while total < size:
        word = rng.choice(WORDS)
        out.append(word)
        total += len(word) + 1
    return " ".join(out).encode()[:size]


def _letters(tag: str, size: int) -> bytes:
    """``size`` random lowercase letters with no space: one enormous "word" for the tokenizers."""
    table = bytes(ord("a") + i % 26 for i in range(256))
    return _rng(tag).randbytes(size).translate(table)


def _big_prompt_line(body: bytes) -> bytes:
    return b'{"prompt": "' + body + b'", "completion": "a short answer."}'


def _label_rows(tag: str, labels: Sequence[tuple[str, int]]) -> list[dict]:
    """Classification-style rows: a review as the prompt and one of a few labels as the completion."""
    rng = _rng(tag)
    rows = []
    for label, count in labels:
        for _ in range(count):
            rows.append({"prompt": f"Review: {_sentence(rng, 12, 30)}. Sentiment?", "completion": label})
    rng.shuffle(rows)
    return rows


# --- the plan --------------------------------------------------------------------------------------------------

_SUFFIX_KINDS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class _Plan:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.items: list[Planned] = []

    def add(
        self,
        name: str,
        data: bytes | Callable[[], bytes],
        *,
        ext: str,
        group: str,
        expected: int | None = None,
        tags: Iterable[str] = (),
        hints: Iterable[str] = (),
        lint_hints: Iterable[str] = (),
        pii: Iterable[str] = (),
        heavy: bool = False,
        gz: bool = False,
        desc: str = "",
    ) -> None:
        """A case whose file holds ``data``; with ``gz``, also ``<name>-gz``, the same bytes gzipped."""
        produce = data if callable(data) else (lambda data=data: data)
        inner = ext[: -len(".gz")] if ext.lower().endswith(".gz") else ext
        kind = _SUFFIX_KINDS.get(inner.lower(), "other") + (".gz" if inner != ext else "")
        variants = [(name, ext, kind, produce, {"gz"} if inner != ext else set())]
        if gz and inner == ext:
            variants.append((f"{name}-gz", ext + ".gz", kind + ".gz", lambda: _gz(produce()), {"gz"}))
        for case_name, suffix, case_kind, make, extra in variants:
            case = Case(
                name=case_name,
                path=self.root / group / f"{name}{suffix}",
                kind=case_kind,
                tags={group, *tags, *extra},
                expected_records=expected,
                expect_in_output=list(hints),
                expect_in_lint=list(lint_hints),
                heavy=heavy,
                pii_values=list(pii),
                description=desc,
            )
            self.items.append(Planned(case, lambda path, case, make=make: path.write_bytes(make())))

    def special(
        self,
        name: str,
        relative: str,
        writer: Callable[[Path, Case], None],
        *,
        kind: str = "fs",
        group: str = "fs",
        expected: int | None = None,
        tags: Iterable[str] = (),
        hints: Iterable[str] = (),
        lint_hints: Iterable[str] = (),
        pii: Iterable[str] = (),
        heavy: bool = False,
        skip_reason: str | None = None,
        desc: str = "",
    ) -> None:
        """A case written by ``writer`` at ``<root>/<group>/<name>/<relative>`` (special files, odd names, bombs)."""
        case = Case(
            name=name,
            path=self.root / group / name / relative,
            kind=kind,
            tags={group, *tags},
            expected_records=expected,
            expect_in_output=list(hints),
            expect_in_lint=list(lint_hints),
            heavy=heavy,
            pii_values=list(pii),
            skip_reason=skip_reason,
            description=desc,
        )
        self.items.append(Planned(case, writer, own_dir=self.root / group / name))


def _writes(data: bytes | Callable[[], bytes]) -> Callable[[Path, Case], None]:
    return lambda path, case: path.write_bytes(data() if callable(data) else data)


# --- JSONL syntax damage ---------------------------------------------------------------------------------------


def _jsonl_syntax(p: _Plan) -> None:
    # The gzipped twins: a representative third (every one would double the slow suite's time for little).
    gzipped = {
        "jsonl-valid", "jsonl-truncated-last-line", "jsonl-trailing-comma-in-object", "jsonl-single-quotes", "jsonl-nan-prompt",
        "jsonl-line-comment", "jsonl-utf8-bom", "jsonl-cp1252", "jsonl-invalid-utf8-in-values", "jsonl-lone-surrogate-escapes",
        "jsonl-nul-raw-in-value", "jsonl-nul-padding-tail", "jsonl-raw-controls-in-string", "jsonl-raw-unicode-separators-in-string",
        "jsonl-cr-only-endings", "jsonl-crlf", "jsonl-mixed-crlf", "jsonl-no-final-newline", "jsonl-empty-0-bytes",
        "jsonl-only-newlines", "jsonl-blank-lines-between", "jsonl-pretty-printed-array",
    }

    def add(name, lines_or_bytes, expected, *, gz=False, ext=".jsonl", tags=(), **kw):
        data = lines_or_bytes if isinstance(lines_or_bytes, bytes) else _join(lines_or_bytes)
        gz = gz or name in gzipped or "encoding" in tags
        p.add(name, data, ext=ext, group="jsonl", expected=expected, gz=gz, tags={"syntax", *tags}, **kw)

    g = lambda n, tag: _good(n, tag)  # noqa: E731 - reads better inline below

    add("jsonl-valid", g(20, "valid"), 20, desc="control: 20 well-formed records")
    add("ndjson-valid", g(8, "ndjson"), 8, ext=".ndjson")
    add("jsonl-truncated-last-line", _join(g(5, "t1")) + b'{"prompt": "How do I reset', 6, desc="a file cut mid-record")
    add("jsonl-truncated-middle-line", g(3, "t2") + [b'{"prompt": "abc", "comp'] + g(3, "t2b"), 7)
    add("jsonl-truncated-after-key", g(3, "t3") + [b'{"prompt"'] + g(2, "t3b"), 6)
    add("ndjson-truncated", _join(g(4, "t4")) + b'{"prompt": "x", "completion": "y', 5, ext=".ndjson")
    add("jsonl-trailing-comma-in-object", g(5, "tc1") + [b'{"prompt": "a b c", "completion": "d e",}'], 6)
    add("jsonl-trailing-comma-after-object", g(5, "tc2") + [b'{"prompt": "a b c", "completion": "d e"},'], 6)
    add("jsonl-single-quotes", g(5, "sq") + [b"{'prompt': 'single quoted', 'completion': 'like python'}"], 6)
    add("jsonl-unquoted-keys", g(5, "uq") + [b'{prompt: "a", completion: "b"}'], 6)
    add("jsonl-nan-prompt", g(5, "nan") + [b'{"prompt": NaN, "completion": "not a number"}'], 6)
    add("jsonl-infinity-values", g(5, "inf") + [b'{"prompt": "x y", "completion": Infinity}', b'{"prompt": -Infinity, "completion": "z"}'], 7)
    add("jsonl-line-comment", [b"// exported by a script"] + g(5, "lc"), 6)
    add("jsonl-hash-comment", [b"# prompt/completion pairs"] + g(5, "hc"), 6)
    add("jsonl-block-comment-inside", g(5, "bc") + [b'{"prompt": "a", /* why */ "completion": "b"}'], 6)
    add("jsonl-trailing-comment", g(5, "trc") + [b'{"prompt": "a", "completion": "b"} // ok'], 6)
    add("jsonl-extra-data-after-object", g(5, "ex") + [b'{"prompt": "a", "completion": "b"} x'], 6)
    add("jsonl-two-objects-one-line", g(5, "two") + [b'{"prompt": "a", "completion": "b"}{"prompt": "c", "completion": "d"}'], None)
    add("jsonl-bad-escapes", g(5, "esc") + [b'{"prompt": "\\x41", "completion": "b"}', b'{"prompt": "\\u12", "completion": "b"}', b'{"prompt": "\\q", "completion": "b"}'], 8)
    add("jsonl-unterminated-escape", g(5, "ue") + [b'{"prompt": "abc\\'], 6)
    add("jsonl-csv-in-jsonl", [b"prompt,completion"] + g(5, "csvin"), 6)
    add("jsonl-html-error-page", [b"<html>", b"<body><h1>502 Bad Gateway</h1></body>", b"</html>"], 3, desc="a proxy's error page saved as data")
    add("jsonl-pretty-printed-object", json.dumps(_records(2, "pp")[0], indent=2).encode() + b"\n", None)
    add("jsonl-pretty-printed-array", json.dumps(_records(3, "ppa"), indent=2).encode() + b"\n", None)
    add("jsonl-whole-array-one-line", _dump(_records(3, "arr1")) + b"\n", 1, desc="a JSON array on one line in a .jsonl file")

    # Byte order marks and encodings. A UTF-8 BOM is fine; UTF-16 and UTF-32 must be named, not read as garbage.
    text = _join(g(5, "enc")).decode()
    add("jsonl-utf8-bom", b"\xef\xbb\xbf" + text.encode(), 5)
    add("jsonl-utf8-double-bom", b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode(), 5)
    add("jsonl-utf8-bom-every-line", _join(b"\xef\xbb\xbf" + line for line in g(5, "bomall")), 5, desc="files concatenated with cat")
    for label, codec, bom, hint in [
        ("utf16le", "utf-16-le", b"\xff\xfe", UTF16),
        ("utf16be", "utf-16-be", b"\xfe\xff", UTF16),
        ("utf32le", "utf-32-le", b"\xff\xfe\x00\x00", UTF32),
        ("utf32be", "utf-32-be", b"\x00\x00\xfe\xff", UTF32),
    ]:
        add(f"jsonl-{label}-bom", bom + text.encode(codec), 5, hints=[hint], tags={"encoding"})
        add(f"jsonl-{label}-nobom", text.encode(codec), 5, hints=[hint], tags={"encoding"})
    latin = _join(_dump({"prompt": f"Caf\u00e9 order {i} \u2019s receipt", "completion": "d\u00e9j\u00e0 vu"}).decode().encode("cp1252") for i in range(5))
    add("jsonl-cp1252", latin, 5, hints=[UTF8], tags={"encoding"})
    add("jsonl-invalid-utf8-in-values", g(4, "iu") + [
        b'{"prompt": "bad \xff\xfe bytes", "completion": "x"}',
        b'{"prompt": "bad \xc3\x28 pair", "completion": "x"}',
        b'{"prompt": "overlong \xc0\xaf slash", "completion": "x"}',
        b'{"prompt": "surrogate \xed\xa0\x80 in utf8", "completion": "x"}',
    ], 8, hints=[UTF8], tags={"encoding"})
    add("jsonl-invalid-utf8-in-key", g(5, "iuk") + [b'{"pro\xffmpt": "x", "completion": "y"}'], 6, tags={"encoding"})
    add("jsonl-lone-surrogate-escapes", g(5, "ls") + [
        b'{"prompt": "\\ud800", "completion": "high alone"}',
        b'{"prompt": "x\\udc00y", "completion": "low alone"}',
        b'{"prompt": "abc\\ud83d", "completion": "high at the end"}',
        b'{"prompt": "\\ude00\\ud83d", "completion": "pair reversed"}',
        b'{"prompt": "\\ud83d\\ud83d", "completion": "two highs"}',
        b'{"prompt": "\\\\ud800 is text", "completion": "escaped backslash"}',
    ], 11, tags={"encoding"})
    add("jsonl-lone-surrogate-in-key", g(5, "lsk") + [b'{"\\ud800": "x", "prompt": "a b", "completion": "c d"}'], 6, tags={"encoding"})
    add("jsonl-valid-surrogate-pair", g(5, "vsp") + [b'{"prompt": "smile \\ud83d\\ude00", "completion": "ok"}'], 6)

    # NUL and other control bytes between and inside records.
    add("jsonl-nul-raw-in-value", g(5, "nul1") + [b'{"prompt": "a\x00b", "completion": "c"}'], 6, tags={"control"})
    add("jsonl-nul-escaped-in-value", g(5, "nul2") + [b'{"prompt": "a\\u0000b", "completion": "c"}'], 6, tags={"control"})
    add("jsonl-nul-line", g(3, "nul3") + [b"\x00"] + g(3, "nul3b"), None, tags={"control"})
    add("jsonl-nul-padding-tail", _join(g(5, "nul4")) + b"\x00" * 4096, None, tags={"control"}, desc="a crash left the tail of the file zeroed")
    add("jsonl-nul-between-records", _join(g(2, "nul5")) + b'{"prompt": "a", "completion": "b"}\x00{"prompt": "c", "completion": "d"}\n', None, tags={"control"})
    for label, byte in [("formfeed", b"\x0c"), ("vtab", b"\x0b"), ("fs", b"\x1c"), ("gs", b"\x1d"), ("rs", b"\x1e"), ("us", b"\x1f"), ("nel", "\u0085".encode()), ("u2028", "\u2028".encode()), ("u2029", "\u2029".encode())]:
        # Only-control lines: blank to Python's str.splitlines/strip, not blank to JSON, so no expected count.
        add(f"jsonl-{label}-line", g(3, label) + [byte] + g(3, label + "b"), None, tags={"control"}, gz=label in ("formfeed", "fs"))
    add("jsonl-raw-controls-in-string", g(5, "rc") + [
        b'{"prompt": "file\x1cseparator", "completion": "x"}',
        b'{"prompt": "vertical\x0btab", "completion": "x"}',
        b'{"prompt": "form\x0cfeed", "completion": "x"}',
    ], 8, tags={"control"}, desc="raw separators that str.splitlines() would split on")
    add("jsonl-raw-unicode-separators-in-string", g(5, "rus") + [
        _dump({"prompt": "line\u2028separator", "completion": "x"}),
        _dump({"prompt": "paragraph\u2029separator", "completion": "x"}),
        _dump({"prompt": "next\u0085line", "completion": "x"}),
    ], 8, tags={"control"}, desc="valid JSON; a reader splitting on Unicode line breaks would shift every line after")

    # Line endings, blank lines and emptiness.
    goods = g(5, "le")
    add("jsonl-cr-only-endings", _join(goods, sep=b"\r"), None, hints=[CR_ONLY], desc="classic Mac line endings")
    add("jsonl-crlf", _join(goods, sep=b"\r\n"), 5)
    add("jsonl-mixed-crlf", goods[0] + b"\r\n" + goods[1] + b"\n" + goods[2] + b"\r\n" + goods[3] + b"\n" + goods[4] + b"\r\n", 5)
    add("jsonl-no-final-newline", _join(goods, final=False), 5)
    add("jsonl-empty-0-bytes", b"", 0)
    add("jsonl-only-whitespace", b"   \t \n \n\t\n  ", 0)
    add("jsonl-only-newlines", b"\n" * 1000, 0)
    add("jsonl-only-crlf", b"\r\n" * 500, 0)
    add("jsonl-blank-lines-between", goods[0] + b"\n\n" + goods[1] + b"\n\n\n" + goods[2] + b"\n" + goods[3] + b"\n\n" + goods[4] + b"\n", 5)
    add("jsonl-leading-blank-lines", b"\n\n\n" + _join(goods), 5)
    add("jsonl-whitespace-lines-between", _join([goods[0], b"   ", goods[1], b"\t\t", goods[2], b" \r", goods[3], goods[4]]), 5)
    add("jsonl-indented-records", _join(b"    " + line for line in goods), 5)


# --- values: types, keys, numbers, nesting ---------------------------------------------------------------------


def _values(p: _Plan) -> None:
    def add(name, odd_lines, *, gz=False, **kw):
        """Five good records, then the odd ones (dicts are dumped, bytes are written as they are)."""

        def data() -> bytes:
            return _join(_good(5, name) + [line if isinstance(line, bytes) else _dump(line) for line in odd_lines])

        p.add(name, data, ext=".jsonl", group="values", expected=5 + len(odd_lines), gz=gz, **kw)

    add("val-prompt-number", [{"prompt": 42, "completion": "x"}], gz=True)
    add("val-completion-number", [{"prompt": "what is pi", "completion": 3.14159}])
    add("val-prompt-bool", [{"prompt": True, "completion": "x"}])
    add("val-completion-bool", [{"prompt": "is it on", "completion": False}])
    add("val-prompt-null", [{"prompt": None, "completion": "x"}], gz=True)
    add("val-both-null", [{"prompt": None, "completion": None}])
    add("val-prompt-array", [{"prompt": ["a", "b"], "completion": "x"}])
    add("val-prompt-object", [{"prompt": {"text": "a", "lang": "en"}, "completion": "x"}], gz=True)
    add("val-completion-object", [{"prompt": "a b", "completion": {"label": "yes"}}])
    add("val-prompt-empty-string", [{"prompt": "", "completion": "x"}])
    add("val-prompt-whitespace-only", [{"prompt": "  \n\t ", "completion": "x"}])
    add("val-missing-prompt", [{"completion": "x"}])
    add("val-missing-completion", [{"prompt": "x y z"}])
    add("val-empty-object", [{}])
    p.add("val-other-keys-only", lambda: _jsonl({"question": r["prompt"], "answer": r["completion"]} for r in _records(5, "ok")),
          ext=".jsonl", group="values", expected=5)
    add("val-duplicate-key-prompt", [b'{"prompt": "first", "prompt": "second", "completion": "c"}'], hints=[DUPLICATE], gz=True)
    add("val-duplicate-key-completion", [b'{"prompt": "a b", "completion": "first", "completion": "second"}'], hints=[DUPLICATE])
    add("val-duplicate-key-string-then-number", [b'{"prompt": "text", "prompt": 5, "completion": "c"}'], hints=[DUPLICATE])
    p.add("val-case-variant-keys-ambiguous", lambda: _jsonl({"PROMPT": r["prompt"], "Prompt": r["prompt"][::-1], "completion": r["completion"]} for r in _records(5, "cv")),
          ext=".jsonl", group="values", expected=5, hints=[AMBIGUOUS], gz=True, desc="PROMPT and Prompt, no exact 'prompt'")
    p.add("val-case-exact-and-upper", lambda: _jsonl({"prompt": r["prompt"], "PROMPT": "other", "completion": r["completion"]} for r in _records(5, "ce")),
          ext=".jsonl", group="values", expected=5)
    p.add("val-case-upper-only", lambda: _jsonl({"PROMPT": r["prompt"], "COMPLETION": r["completion"]} for r in _records(5, "cu")),
          ext=".jsonl", group="values", expected=5, desc="a Snowflake export")
    p.add("val-case-mixed-across-rows", lambda: _jsonl(({"prompt": r["prompt"], "completion": r["completion"]} if i % 2 else {"Prompt": r["prompt"], "Completion": r["completion"]}) for i, r in enumerate(_records(6, "cm"))),
          ext=".jsonl", group="values", expected=6)
    add("val-very-long-key-100k", [{"k" * 100_000: "x", "prompt": "a b", "completion": "c"}])
    p.add("val-very-long-key-1mb-every-line", lambda: _jsonl({"q" * MiB: r["prompt"], "completion": r["completion"]} for r in _records(5, "lk")),
          ext=".jsonl", group="values", expected=5, desc="the prompt is under a 1 MB key on every line: SC001 names the columns")
    add("val-empty-key", [{"": "x", "prompt": "a b", "completion": "c"}])
    add("val-key-with-spaces", [{" prompt ": "a", "completion": "b"}])
    add("val-many-extra-keys", [{**{f"extra_{i}": i for i in range(1000)}, "prompt": "a b", "completion": "c"}])
    digits = "9" * 5000
    add("val-int-5000-digits-prompt", [('{"prompt": %s, "completion": "x"}' % digits).encode()], gz=True, desc="Python's int limit is 4300 digits")
    add("val-int-5000-digits-extra-key", [('{"prompt": "a b", "completion": "x", "n": %s}' % digits).encode()])
    add("val-int-5000-digits-line", [digits.encode()])
    add("val-float-1e999-prompt", [b'{"prompt": 1e999, "completion": "x"}'])
    add("val-float-1e999-extra-key", [b'{"prompt": "a b", "completion": "x", "score": -1e999}'])
    add("val-float-1e-999", [b'{"prompt": 1e-999, "completion": "x"}'])
    add("val-float-long-mantissa", [('{"prompt": 0.%s, "completion": "x"}' % ("1234567890" * 500)).encode()])
    for depth in (1000, 100_000):
        add(f"val-nest-{depth}-array-prompt", [('{"prompt": %s, "completion": "x"}' % _nest_array(depth)).encode()], gz=depth == 1000)
        add(f"val-nest-{depth}-object-prompt", [('{"prompt": %s, "completion": "x"}' % _nest_object(depth)).encode()])
        add(f"val-nest-{depth}-extra-key", [('{"prompt": "a b", "completion": "x", "meta": %s}' % _nest_array(depth)).encode()])
        add(f"val-nest-{depth}-array-line", [_nest_array(depth).encode()])
        add(f"val-nest-{depth}-object-line", [_nest_object(depth).encode()])
    add("val-nest-100000-unclosed-line", [b"[" * 100_000])
    add("val-top-array", [b"[1, 2, 3]"])
    add("val-top-array-of-records", [_dump(_records(2, "tar"))])
    add("val-top-string", [b'"just a string"'], gz=True)
    add("val-top-number", [b"42"])
    add("val-top-true", [b"true"])
    add("val-top-null", [b"null"])
    add("val-top-empty-string", [b'""'])


# --- chat records ----------------------------------------------------------------------------------------------

_USER = {"role": "user", "content": "How do I reset my password?"}
_ASSISTANT = {"role": "assistant", "content": "Use the reset link on the login page."}
_SYSTEM = {"role": "system", "content": "You are a support agent."}

_CHAT_DAMAGE: list[tuple[str, object]] = [
    ("messages-string", {"messages": "hello"}),
    ("messages-object", {"messages": _USER}),
    ("messages-null", {"messages": None}),
    ("messages-number", {"messages": 7}),
    ("messages-empty-list", {"messages": []}),
    ("message-string-items", {"messages": ["hi", "there"]}),
    ("message-null-item", {"messages": [None, _ASSISTANT]}),
    ("message-list-item", {"messages": [["user", "hi"], ["assistant", "hello"]]}),
    ("missing-role", {"messages": [{"content": "hi"}, _ASSISTANT]}),
    ("missing-content", {"messages": [{"role": "user"}, _ASSISTANT]}),
    ("content-null", {"messages": [{"role": "user", "content": None}, _ASSISTANT]}),
    ("content-number", {"messages": [{"role": "user", "content": 12}, _ASSISTANT]}),
    ("content-parts", {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}, _ASSISTANT]}),
    ("content-object", {"messages": [{"role": "user", "content": {"text": "hi"}}, _ASSISTANT]}),
    ("role-unknown", {"messages": [_USER, {"role": "tool", "content": "{}"}, _ASSISTANT]}),
    ("role-uppercase", {"messages": [{"role": "User", "content": "hi"}, {"role": "Assistant", "content": "hello"}]}),
    ("role-number", {"messages": [{"role": 1, "content": "hi"}, _ASSISTANT]}),
    ("role-null", {"messages": [{"role": None, "content": "hi"}, _ASSISTANT]}),
    ("multi-turn", {"messages": [_USER, _ASSISTANT, _USER, _ASSISTANT]}),
    ("no-user", {"messages": [_SYSTEM, _ASSISTANT]}),
    ("no-assistant", {"messages": [_SYSTEM, _USER]}),
    ("assistant-first", {"messages": [_ASSISTANT, _USER]}),
    ("two-systems", {"messages": [_SYSTEM, _SYSTEM, _USER, _ASSISTANT]}),
    ("system-only", {"messages": [_SYSTEM]}),
    ("messages-and-prompt", {"messages": [_USER, _ASSISTANT], "prompt": "other", "completion": "other"}),
    ("messages-and-prompt-only", {"messages": [_USER, _ASSISTANT], "prompt": "half a record"}),
    ("role-with-escape", {"messages": [{"role": "\x1b[31muser\x1b[0m", "content": "hi"}, _ASSISTANT]}),
    ("role-huge", {"messages": [{"role": "r" * 200_000, "content": "hi"}, _ASSISTANT]}),
    ("extra-message-fields", {"messages": [{**_USER, "name": "bob"}, {**_ASSISTANT, "tool_calls": []}]}),
    ("messages-case-variant", {"Messages": [_USER, _ASSISTANT]}),
]


def _chats(p: _Plan) -> None:
    def valid(n: int, tag: str) -> list[bytes]:
        rng = _rng(tag)
        out = []
        for i in range(n):
            turn = [
                {"role": "user", "content": f"Chat {i}: {_sentence(rng, 8, 20)}?"},
                {"role": "assistant", "content": _sentence(rng, 5, 12)},
            ]
            out.append(_dump({"messages": ([_SYSTEM] if i % 3 == 0 else []) + turn}))
        return out

    def add(name, make, expected, *, ext=".jsonl", **kw):
        p.add(name, make, ext=ext, group="chat", expected=expected, **kw)

    add("chat-valid", lambda: _join(valid(10, "chat-valid")), 10, gz=True)
    for label, record in _CHAT_DAMAGE:
        name = f"chat-{label}"
        add(name, lambda record=record, name=name: _join(valid(3, name) + [_dump(record)]), 4,
            tags={"control"} if "escape" in label else (), gz=label in ("messages-string", "content-parts", "multi-turn"))
    add("chat-every-malformation", lambda: _join(valid(4, "every") + [_dump(r) for _, r in _CHAT_DAMAGE]), 4 + len(_CHAT_DAMAGE),
        tags={"control"}, desc="every chat defect in one file")
    twice = b'{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}], "messages": "x"}'
    add("chat-duplicate-messages-key", lambda: _join(valid(3, "dupm") + [twice]), 4, hints=[DUPLICATE])
    add("chat-10000-messages", lambda: _join(valid(3, "10k") + [_dump({"messages": [_USER, _ASSISTANT] * 5000})]), 4)
    deep = '{"messages": [{"role": "user", "content": %s}, {"role": "assistant", "content": "b"}]}' % _nest_array(1000)
    add("chat-content-nest-1000", lambda: _join(valid(3, "cn") + [deep.encode()]), 4)
    add("chat-mixed-with-pairs", lambda: _join(valid(4, "mix") + _good(4, "mix")), 8)
    add("chat-json-array", lambda: json.dumps([json.loads(line) for line in valid(5, "arr")] + [{"messages": "bad"}]).encode(), 6, ext=".json")


# --- sizes -----------------------------------------------------------------------------------------------------


def _sizes(p: _Plan) -> None:
    def add(name, make, expected, *, ext=".jsonl", **kw):
        p.add(name, make, ext=ext, group="size", expected=expected, **kw)

    def with_goods(tag: str, body: bytes, n: int = 5) -> bytes:
        return _join(_good(n, tag) + [_big_prompt_line(body)])

    def tiny(n: int) -> bytes:
        return b"".join(b'{"prompt":"q%d","completion":"%s"}\n' % (i, b"yes" if i % 2 else b"no") for i in range(n))

    def tiny_csv(n: int) -> bytes:
        return b"prompt,completion\n" + b"".join(b"q%d,%s\n" % (i, b"yes" if i % 2 else b"no") for i in range(n))

    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one grapheme of 18 bytes
    add("size-prompt-5mb", lambda: with_goods("s5", _words_block("s5", MiB) * 5), 6, gz=True)
    add("size-prompt-50mb", lambda: _big_prompt_line(_words_block("s50", MiB) * 50) + b"\n", 1, heavy=True)
    add("size-50mb-then-30-good", lambda: _join([_big_prompt_line(_words_block("s50g", MiB) * 50)] + _good(30, "s50g")), 31, heavy=True)
    add("size-letters-5mb", lambda: with_goods("l5", _letters("l5", 5 * MiB)), 6, gz=True)
    add("size-letters-50mb", lambda: with_goods("l50", _letters("l50", 50 * MiB)), 6, heavy=True)
    add("size-emoji-2mb", lambda: with_goods("e2", ("\U0001f600" * (2 * MiB // 4)).encode()), 6)
    add("size-zwj-emoji-2mb", lambda: with_goods("z2", (family * (2 * MiB // 18)).encode()), 6)
    add("size-combining-marks-1mb", lambda: with_goods("cm1", ("a" + "\u0301" * (MiB // 2)).encode()), 6,
        desc="one grapheme, half a million combining accents")
    add("size-100k-tiny-records", lambda: tiny(100_000), 100_000)
    add("size-1m-tiny-records", lambda: tiny(1_000_000), 1_000_000, heavy=True)
    add("size-csv-1m-rows", lambda: tiny_csv(1_000_000), 1_000_000, ext=".csv", heavy=True)
    header = ["prompt", "completion"]
    add("size-csv-field-5mb", lambda: _csv(header, _pairs(5, "c5") + [[_words_block("c5", 5 * MiB).decode(), "x"]]), 6, ext=".csv", gz=True)
    add("size-csv-field-200kb-and-ragged",
        lambda: _csv(header, _pairs(5, "c2") + [["only one field"], [_words_block("c2", 200_000).decode(), "x"]]), 7, ext=".csv",
        desc="over the csv module's 128 KiB field limit, with a ragged row to force the fallback reader")
    add("size-json-array-5mb-record",
        lambda: json.dumps(_records(5, "j5") + [{"prompt": _words_block("j5", 5 * MiB).decode(), "completion": "x"}]).encode(), 6, ext=".json")

    def parquet_big() -> bytes:
        prompts, completions = _texts(5, "p5")
        return _parquet({"prompt": prompts + [_words_block("p5", 5 * MiB).decode()], "completion": completions + ["x"]})

    add("size-parquet-5mb-value", parquet_big, 6, ext=".parquet")


# --- control characters and terminal escapes -------------------------------------------------------------------

_ESCAPES = {
    "sgr": "\x1b[31mRED\x1b[0m",
    "osc-title": "\x1b]0;pwned title\x07",
    "clear-screen": "\x1b[2J\x1b[H",
    "bel-backspace": "ring\x07\x08\x08\x08gone",
    "c1": "c1 \u009b31m csi \u0085 nel \u0090 dcs",
    "bidi": "evil \u202etxt.exe\u202c and \u2066isolate\u2069",
    "del": "rub\x7fout",
}


def _control(p: _Plan) -> None:
    def add(name, make, expected, *, ext=".jsonl", tags=(), **kw):
        p.add(name, make, ext=ext, group="control", expected=expected, tags={"control", *tags}, **kw)

    def keyed(key: str, tag: str) -> bytes:
        return _jsonl({key: r["prompt"], "completion": r["completion"]} for r in _records(5, tag))

    def odd_row(tag: str, record: dict, copies: int = 1) -> bytes:
        return _join(_good(5, tag) + [_dump(record)] * copies)

    for label, seq in _ESCAPES.items():
        add(f"ctl-{label}-in-prompt", lambda seq=seq, label=label: odd_row(label, {"prompt": f"before {seq} after", "completion": f"done {seq}"}), 6)
        add(f"ctl-{label}-in-key", lambda seq=seq, label=label: keyed(f"{seq}prompt", label + "k"), 5, gz=label == "sgr",
            desc="the prompt key is damaged: SC001 names the columns it found")
        add(f"ctl-{label}-in-csv-header", lambda seq=seq, label=label: _csv([f"{seq}prompt", "completion"], _pairs(5, label + "h")), 5,
            ext=".csv", gz=label == "osc-title")
    colours = [("\x1b[32mPOSITIVE\x1b[0m", 30), ("\x1b[31mNEGATIVE\x1b[0m", 30), ("neutral", 30)]
    add("ctl-sgr-labels", lambda: _jsonl(_label_rows("sgrl", colours)), 90, tags={"labels"}, desc="prepare prints the label distribution")
    add("ctl-bidi-labels", lambda: _jsonl(_label_rows("bidil", [("yes\u202e", 30), ("no\u2066", 30)])), 60, tags={"labels"})
    add("ctl-raw-esc-in-jsonl", lambda: _join(_good(5, "raw") + [b'{"prompt": "raw \x1b[31m escape", "completion": "x"}']), 6)
    add("ctl-esc-in-truncated-line", lambda: _join(_good(5, "trunc")) + b'{"prompt": "\x1b]0;owned\x07\x1b[2J', 6)
    add("ctl-nul-in-key", lambda: keyed("pro\x00mpt", "nk"), 5)
    add("ctl-newline-in-csv-header", lambda: _csv(["prompt\nsecond line", "completion"], _pairs(5, "nlh")), 5, ext=".csv")
    add("ctl-esc-in-csv-value", lambda: _csv(["prompt", "completion"], _pairs(5, "cv") + [["a \x1b[31m b", "c \x1b]0;t\x07"]]), 6, ext=".csv")
    add("ctl-esc-in-json-array-key",
        lambda: json.dumps([{"\x1b[31mprompt": r["prompt"], "completion": r["completion"]} for r in _records(5, "ja")]).encode(), 5, ext=".json")
    add("ctl-esc-long-prompt", lambda: odd_row("lp", {"prompt": "\x1b[31m" + _words_block("lp", 200_000).decode(), "completion": "\x1b[2J"}), 6,
        desc="over every prompt budget: TK001 may quote it")
    add("ctl-esc-duplicates", lambda: odd_row("dup", {"prompt": "\x1b[31mduplicate\x1b[0m row", "completion": "\x1b]0;x\x07"}, copies=3), 8)

    def parquet_names() -> bytes:
        prompts, completions = _texts(5, "pqn")
        return _parquet({"\x1b[31mprompt": prompts, "completion\u202e": completions})

    def parquet_values() -> bytes:
        prompts, completions = _texts(5, "pqv")
        return _parquet({"prompt": prompts + ["\x1b]0;t\x07 \x1b[2J"], "completion": completions + ["\u202eexe.txt"]})

    add("ctl-esc-in-parquet-column-name", parquet_names, 5, ext=".parquet")
    add("ctl-esc-in-parquet-value", parquet_values, 6, ext=".parquet")


# --- personal data in labels, keys and column names ------------------------------------------------------------

ALICE = "alice.w.leak@corp-example.com"
BOB = "bob.once@corp-example.com"
PHONE = "+1 415 555 0132"


def _pii(p: _Plan) -> None:
    labels = [("positive", 40), ("negative", 40), (ALICE, 40), (BOB, 1)]
    kw = dict(group="pii", tags={"pii", "labels"}, pii=[ALICE, BOB])
    p.add("pii-email-labels-jsonl", lambda: _jsonl(_label_rows("pl", labels)), ext=".jsonl", expected=121, gz=True, **kw,
          desc="an e-mail address used as a label 40 times, another once")
    p.add("pii-email-labels-csv", lambda: _csv(["prompt", "completion"], ([r["prompt"], r["completion"]] for r in _label_rows("plc", labels))), ext=".csv", expected=121, gz=True, **kw)
    p.add("pii-email-labels-json", lambda: json.dumps(_label_rows("plj", labels)).encode(), ext=".json", expected=121, **kw)

    def labels_parquet() -> bytes:
        rows = _label_rows("plp", labels)
        return _parquet({"prompt": [r["prompt"] for r in rows], "completion": [r["completion"] for r in rows]})

    p.add("pii-email-labels-parquet", labels_parquet, ext=".parquet", expected=121, **kw)
    p.add("pii-phone-labels", lambda: _jsonl(_label_rows("pp", [("yes", 30), ("+1 415 555 0199", 30)])), ext=".jsonl", group="pii", expected=60,
          tags={"pii", "labels"}, pii=["+1 415 555 0199"])
    p.add("pii-card-labels", lambda: _jsonl(_label_rows("pc", [("ok", 30), ("4111 1111 1111 1111", 30)])), ext=".jsonl", group="pii", expected=60,
          tags={"pii", "labels"}, pii=["4111 1111 1111 1111"])

    people = [(f"person{i}.header@corp-example.com", f"+1 415 555 01{i:02d}") for i in range(10)]
    first = ["bob.header@corp-example.com", PHONE]
    p.add("pii-headerless-csv", lambda: _csv(None, [first, *people]), ext=".csv", group="pii", expected=10, gz=True, tags={"pii"},
          pii=first, desc="no header: the first row of e-mail and phone becomes the column names")
    carol = "carol.key@corp-example.com"
    p.add("pii-json-keys-email", lambda: _join(_good(3, "pk") + [_dump({carol: "hello there", "completion": "x"}), _dump({"prompt": "a b", "completion": "c", carol: 1})]),
          ext=".jsonl", group="pii", expected=5, gz=True, tags={"pii"}, pii=[carol], desc="an e-mail address as a JSON key: SC001 lists the keys")
    p.add("pii-json-array-keys-email", lambda: json.dumps([{carol: r["prompt"], "completion": r["completion"]} for r in _records(4, "pak")]).encode(),
          ext=".json", group="pii", expected=4, tags={"pii"}, pii=[carol])
    dave = "dave.col@corp-example.com"
    p.add("pii-csv-header-email", lambda: _csv([dave, "completion"], _pairs(5, "pch")), ext=".csv", group="pii", expected=5, tags={"pii"}, pii=[dave])

    def parquet_email_column() -> bytes:
        prompts, completions = _texts(5, "ppc")
        return _parquet({dave: prompts, "completion": completions})

    p.add("pii-parquet-column-email", parquet_email_column, ext=".parquet", group="pii", expected=5, tags={"pii"}, pii=[dave])
    erin = "erin.trunc@corp-example.com"
    p.add("pii-in-truncated-line", lambda: _join(_good(5, "pt")) + b'{"prompt": "write to ' + erin.encode() + b" about the", ext=".jsonl", group="pii",
          expected=6, tags={"pii"}, pii=[erin], desc="an unparseable line must not be quoted")
    frank = "frank.sq@corp-example.com"
    p.add("pii-in-single-quoted-line", lambda: _join(_good(5, "psq") + [b"{'prompt': '" + frank.encode() + b"', 'completion': 'x'}"]), ext=".jsonl", group="pii",
          expected=6, tags={"pii"}, pii=[frank])
    gina = "gina.dup@corp-example.com"
    p.add("pii-duplicate-rows", lambda: _join(_good(20, "pd") + [_dump({"prompt": f"Email {gina} about the refund", "completion": "done"})] * 8),
          ext=".jsonl", group="pii", expected=28, tags={"pii"}, pii=[gina], desc="DU001 must not quote the duplicated text")
    hank = "hank.role@corp-example.com"
    p.add("pii-in-chat-role", lambda: _join(_good(3, "pr") + [_dump({"messages": [{"role": hank, "content": "hi"}, _ASSISTANT]})]), ext=".jsonl", group="pii",
          expected=4, tags={"pii"}, pii=[hank], desc="SC005 names unsupported roles")
    ivy = "ivy.long@corp-example.com"
    p.add("pii-in-over-budget-prompt", lambda: _join(_good(5, "pob") + [_dump({"prompt": f"{ivy} " + _words_block("pob", 200_000).decode(), "completion": "x"})]),
          ext=".jsonl", group="pii", expected=6, tags={"pii"}, pii=[ivy])
    jack = "jack.type@corp-example.com"
    p.add("pii-in-non-string-value", lambda: _join(_good(5, "pns") + [_dump({"prompt": {"from": jack}, "completion": [jack]})]), ext=".jsonl", group="pii",
          expected=6, tags={"pii"}, pii=[jack], desc="SC004 must not print the object it refused")
    kate = "kate.fname@corp-example.com"

    def gzip_fname(path: Path, case: Case) -> None:
        buf = io.BytesIO()
        with gzip.GzipFile(filename=f"{kate}.jsonl", mode="wb", fileobj=buf, mtime=0) as handle:
            handle.write(_join(_good(5, "pgf")))
        path.write_bytes(buf.getvalue())

    p.special("pii-gzip-header-name", "data.jsonl.gz", gzip_fname, kind="jsonl.gz", group="pii", expected=5, tags={"pii", "gz"}, pii=[kate],
              desc="the gzip header's FNAME field holds an e-mail address")


# --- CSV -------------------------------------------------------------------------------------------------------


def _csv_cases(p: _Plan) -> None:
    gzipped = {
        "csv-valid", "csv-ragged-missing-field", "csv-ragged-extra-field", "csv-quoted-newline-then-ragged", "csv-quoted-newlines",
        "csv-unbalanced-quote-middle", "csv-duplicate-header-prompt", "csv-case-variant-header-ambiguous", "csv-header-only",
        "csv-semicolon", "csv-tab", "csv-random-bytes", "csv-crlf", "csv-cr-only", "csv-utf8-bom", "csv-utf16le-bom",
        "csv-invalid-utf8", "csv-nul-in-field", "csv-empty-0-bytes", "csv-headerless-data",
    }

    def add(name, data, expected, *, gz=False, **kw):
        p.add(name, data, ext=".csv", group="csv", expected=expected, gz=gz or name in gzipped, **kw)

    header = ["prompt", "completion"]
    rows = lambda tag, n=5: _pairs(n, tag)  # noqa: E731
    add("csv-valid", lambda: _csv(header, rows("valid", 20)), 20)
    # header line 1, rows on lines 2-3, the bad row on line 4, then lines 5-7
    add("csv-ragged-missing-field", lambda: _csv(header, rows("rm", 2) + [["only a prompt"]] + rows("rm2", 3)), 6, lint_hints=[r"line=4\b"],
        desc="a row with a missing field, reported at its line")
    add("csv-ragged-extra-field", lambda: _csv(header, rows("re", 2) + [["a", "b", "c"]] + rows("re2", 3)), 6, lint_hints=[r"line=4\b"])
    add("csv-ragged-many", lambda: _csv(header, [r if i % 2 else r[:1] for i, r in enumerate(rows("rmany", 10))]), 10)
    add("csv-ragged-last-of-1000", lambda: _csv(header, rows("r1000", 1000) + [["x"]]), 1001, lint_hints=[r"line=1002\b"])
    # line 1 header, lines 2-3 one record (quoted newline), line 4 good, line 5 the ragged record
    add("csv-quoted-newline-then-ragged", lambda: _csv(header, [["first line\nsecond line", "x"], ["good", "row"], ["ragged"]]), 3, lint_hints=[r"line=5\b"],
        desc="line numbers must count physical lines, not records")
    add("csv-quoted-newlines", lambda: _csv(header, [[f"line one {i}\nline two\n\nline four", f"answer\r\n{i}"] for i in range(5)]), 5)
    add("csv-unbalanced-quote-middle", lambda: _csv(header, rows("uq", 2)) + b'"never closed,x\n' + _csv(None, rows("uq2", 3)), None)
    add("csv-unbalanced-quote-last", lambda: _csv(header, rows("uql", 4)) + b'"never closed,x\n', None)
    add("csv-quote-inside-unquoted", lambda: _csv(header, rows("qi", 4)) + b'ab"c,d\n', 5)
    add("csv-text-after-closing-quote", lambda: _csv(header, rows("tac", 4)) + b'"abc"def,x\n', 5)
    add("csv-backslash-escaped-quotes", lambda: _csv(header, rows("bsq", 4)) + b'"say \\"hi\\" now",x\n', None)
    add("csv-duplicate-header-prompt", lambda: _csv(["prompt", "completion", "prompt"], [r + [r[0][::-1]] for r in rows("dh")]), 5, hints=[DUPLICATE])
    add("csv-duplicate-header-completion", lambda: _csv(["prompt", "completion", "completion"], [r + ["other"] for r in rows("dhc")]), 5, hints=[DUPLICATE])
    add("csv-case-variant-header-ambiguous", lambda: _csv(["PROMPT", "Prompt", "completion"], [[r[0], r[0][::-1], r[1]] for r in rows("cvh")]), 5, hints=[AMBIGUOUS])
    add("csv-case-exact-and-upper", lambda: _csv(["prompt", "completion", "PROMPT"], [r + ["other"] for r in rows("ceu")]), 5)
    add("csv-header-only", b"prompt,completion\n", 0)
    add("csv-header-only-no-newline", b"prompt,completion", 0)
    add("csv-header-only-crlf", b"prompt,completion\r\n", 0)
    add("csv-empty-first-line", lambda: b"\n" + _csv(header, rows("efl")), None)
    add("csv-empty-header-names", lambda: b",\n" + _csv(None, rows("ehn")), 5)
    add("csv-blank-header-names-and-real", lambda: _csv(["", "", "prompt", "completion"], [["", "", *r] for r in rows("bhn")]), 5)
    add("csv-header-10000-columns", lambda: _csv([f"c{i}" for i in range(9998)] + header, [["v"] * 9998 + r for r in rows("h10k")]), 5)
    add("csv-semicolon", lambda: _csv(header, rows("semi"), delimiter=";"), 5, hints=[_delimiter("semicolon", "prompt;completion")])
    add("csv-tab", lambda: _csv(header, rows("tab"), delimiter="\t"), 5, hints=[_delimiter(r"\btab\b", "prompt\tcompletion")])
    add("csv-pipe", lambda: _csv(header, rows("pipe"), delimiter="|"), 5, hints=[_delimiter("pipe", "prompt|completion")])
    add("csv-excel-sep-line", lambda: b"sep=;\n" + _csv(header, rows("sep"), delimiter=";"), None)
    add("csv-random-bytes", lambda: _rng("csv-random").randbytes(64 * 1024), None, tags={"control"})
    add("csv-random-printable", lambda: bytes(32 + b % 95 for b in _rng("csv-printable").randbytes(64 * 1024)), None)
    add("csv-crlf", lambda: _csv(header, rows("crlf"), newline="\r\n"), 5)
    add("csv-cr-only", lambda: _csv(header, rows("cr"), newline="\r"), None, hints=[CR_ONLY])
    add("csv-mixed-line-endings", lambda: b"prompt,completion\r\n" + b"a b,c\n" + b"d e,f\r\n" + b"g h,i\n", 3)
    add("csv-utf8-bom", lambda: b"\xef\xbb\xbf" + _csv(header, rows("bom")), 5)
    add("csv-utf16le-bom", lambda: b"\xff\xfe" + _csv(header, rows("u16")).decode().encode("utf-16-le"), 5, hints=[UTF16], tags={"encoding"})
    add("csv-utf16be-nobom", lambda: _csv(header, rows("u16b")).decode().encode("utf-16-be"), 5, hints=[UTF16], tags={"encoding"})
    add("csv-cp1252", lambda: _csv(header, [[f"Caf\u00e9 {i} \u2019s", "d\u00e9j\u00e0"] for i in range(5)]).decode().encode("cp1252"), 5, hints=[UTF8], tags={"encoding"})
    add("csv-invalid-utf8", lambda: _csv(header, rows("iu", 4)) + b"bad \xff\xfe bytes,x\n", 5, hints=[UTF8], tags={"encoding"})
    add("csv-nul-in-field", lambda: _csv(header, rows("nul", 4)) + b"a\x00b,c\n", 5, tags={"control"})
    add("csv-nul-padding-tail", lambda: _csv(header, rows("nulpad", 4)) + b"\x00" * 4096, None, tags={"control"})
    add("csv-blank-lines-between", lambda: b"prompt,completion\n\na b,c\n\n\nd e,f\n\n", 2)
    add("csv-only-newlines", b"\n" * 500, 0)
    add("csv-empty-0-bytes", b"", 0)
    add("csv-whitespace-header", lambda: _csv([" prompt ", " completion "], rows("wh")), 5)
    add("csv-quoted-header", lambda: b'"prompt","completion"\n' + _csv(None, rows("qh")), 5)
    add("csv-row-of-empty-fields", lambda: _csv(header, rows("ef", 5) + [["", ""]]), 6)
    add("csv-extra-column-every-row", lambda: _csv(header, [r + ["extra"] for r in rows("ecr")]), 5)
    add("csv-trailing-delimiter", lambda: _csv(["prompt", "completion", ""], [r + [""] for r in rows("td")]), 5)
    add("csv-numbers-in-prompt", lambda: _csv(header, [[str(i), "x"] for i in range(5)]), 5)
    add("csv-headerless-data", lambda: _csv(None, rows("hl", 5)), None, desc="data in the first row: it becomes the column names")
    add("csv-jsonl-content", lambda: _join(_good(5, "csvjsonl")), None)


# --- JSON arrays -----------------------------------------------------------------------------------------------


def _json_cases(p: _Plan) -> None:
    def add(name, data, expected, *, gz=False, **kw):
        p.add(name, data, ext=".json", group="json", expected=expected, gz=gz, **kw)

    recs = lambda tag, n=5: _records(n, tag)  # noqa: E731
    dumps = lambda obj, **kw: json.dumps(obj, **kw).encode()  # noqa: E731
    add("json-valid-array", lambda: dumps(recs("valid", 10)), 10, gz=True)
    add("json-pretty-array", lambda: dumps(recs("pretty", 10), indent=2), 10, gz=True)
    add("json-trailing-comma", lambda: dumps(recs("tc"))[:-1] + b",]", None, gz=True)
    add("json-truncated", lambda: dumps(recs("tr"), indent=2)[:-40], None, gz=True)
    add("json-single-quotes", lambda: dumps(recs("sq")).replace(b'"', b"'"), None)
    add("json-nan-infinity", b'[{"prompt": NaN, "completion": "x"}, {"prompt": "y", "completion": Infinity}, {"prompt": "z", "completion": -Infinity}]', 3)
    add("json-comments", lambda: b"// exported\n" + dumps(recs("com"), indent=2), None)
    add("json-array-of-strings", b'["a", "b", "c"]', 3)
    add("json-array-mixed", lambda: dumps([recs("mix", 1)[0], "text", 5, None, [1]]), 5, gz=True)
    add("json-array-of-arrays", lambda: dumps([recs("aa", 2), recs("ab", 2)]), 2)
    add("json-nest-1000", _nest_array(1000).encode(), None)
    add("json-nest-100000", _nest_array(100_000).encode(), None, gz=True)
    add("json-nest-100000-object", _nest_object(100_000).encode(), None)
    add("json-nest-1000-in-record", lambda: dumps(recs("nir", 2))[:-1] + (', {"prompt": %s, "completion": "x"}]' % _nest_array(1000)).encode(), 3)
    add("json-top-object", lambda: dumps(recs("to", 1)[0]), 1)
    add("json-top-string", b'"a string"', None)
    add("json-top-number", b"12345", None)
    add("json-top-null", b"null", None)
    add("json-top-true", b"true", None)
    add("json-empty-array", b"[]", 0, gz=True)
    add("json-empty-0-bytes", b"", 0)
    add("json-only-whitespace", b" \n\t\n ", 0)
    add("json-holding-jsonl", lambda: _join(_good(5, "jh")), 5, gz=True)
    add("json-holding-jsonl-bad-line", lambda: _join(_good(3, "jhb") + [b'{"prompt": "trunc'] + _good(2, "jhb2")), 6)
    add("json-holding-jsonl-first-line-array", lambda: _join([b"[1, 2]"] + _good(3, "jfa")), None)
    add("json-utf16le-bom", lambda: b"\xff\xfe" + dumps(recs("u16")).decode().encode("utf-16-le"), 5, hints=[UTF16], tags={"encoding"}, gz=True)
    add("json-utf32be-bom", lambda: b"\x00\x00\xfe\xff" + dumps(recs("u32")).decode().encode("utf-32-be"), 5, hints=[UTF32], tags={"encoding"})
    add("json-utf8-bom", lambda: b"\xef\xbb\xbf" + dumps(recs("bom")), 5)
    add("json-int-5000-digits", lambda: dumps(recs("i5k", 2))[:-1] + (', {"prompt": %s, "completion": "x"}]' % ("7" * 5000)).encode(), 3)
    add("json-float-1e999", b'[{"prompt": 1e999, "completion": "x"}, {"prompt": "y", "completion": "z"}]', 2)
    add("json-duplicate-keys", b'[{"prompt": "a", "prompt": "b", "completion": "c"}, {"prompt": "d", "completion": "e"}]', 2, hints=[DUPLICATE])
    add("json-case-variant-keys", b'[{"PROMPT": "a", "Prompt": "b", "completion": "c"}, {"PROMPT": "d", "Prompt": "e", "completion": "f"}]', 2, hints=[AMBIGUOUS])
    add("json-concatenated-arrays", lambda: dumps(recs("ca1", 2)) + dumps(recs("ca2", 2)), None)
    add("json-array-then-garbage", lambda: dumps(recs("atg", 2)) + b" trailing words", None)
    add("json-wrapped-in-object", lambda: dumps({"data": recs("wo", 3)}), None, desc="a common export wrapper: {'data': [...]}")
    add("json-lone-surrogate", b'[{"prompt": "\\ud800 alone", "completion": "x"}, {"prompt": "y", "completion": "\\udfff"}]', 2, tags={"encoding"})
    add("json-invalid-utf8", lambda: dumps(recs("iu", 2))[:-1] + b', {"prompt": "bad \xff bytes", "completion": "x"}]', 3, hints=[UTF8], tags={"encoding"})
    add("json-nul-raw", b'[{"prompt": "a\x00b", "completion": "c"}]', None, tags={"control"})
    add("json-cr-only-pretty", lambda: dumps(recs("cr", 3), indent=2).replace(b"\n", b"\r"), 3)


# --- Parquet ---------------------------------------------------------------------------------------------------


def _parquet_cases(p: _Plan) -> None:
    def add(name, data, expected, *, gz=False, ext=".parquet", **kw):
        p.add(name, data, ext=ext, group="parquet", expected=expected, gz=gz, **kw)

    def valid(n: int = 10, tag: str = "pv", **options) -> bytes:
        prompts, completions = _texts(n, tag)
        return _parquet({"prompt": prompts, "completion": completions}, **options)

    def typed(make_array) -> Callable[[], bytes]:
        def build() -> bytes:
            _, completions = _texts(5, "typed")
            return _parquet({"prompt": make_array(), "completion": completions})

        return build

    def footer_flip(data: bytes, where: float) -> bytes:
        """Eight bytes of the footer's Thrift metadata XOR 0x5A, ``where`` of the way into it (the middle is often
        the Arrow schema, which readers may ignore; the start is the version and the schema's field list)."""
        length = int.from_bytes(data[-8:-4], "little")
        start = len(data) - 8 - length + int(length * where)
        out = bytearray(data)
        for i in range(8):
            out[start + i] ^= 0x5A
        return bytes(out)

    add("pq-valid", valid, 10, gz=True)
    add("pq-valid-pq-suffix", valid, 10, ext=".pq")
    add("pq-zero-rows", lambda: valid(0), 0, gz=True)
    add("pq-zero-columns", lambda: _parquet({}), 0)
    add("pq-corrupt-footer", lambda: footer_flip(valid(), 0.5), None, gz=True)
    add("pq-corrupt-footer-start", lambda: footer_flip(valid(), 0.0), None)
    add("pq-corrupt-footer-row-groups", lambda: footer_flip(valid(), 0.25), None)
    add("pq-footer-length-huge", lambda: valid()[:-8] + struct.pack("<I", 0x7FFFFFF0) + b"PAR1", None)
    add("pq-footer-length-zero", lambda: valid()[:-8] + struct.pack("<I", 0) + b"PAR1", None)
    add("pq-bad-end-magic", lambda: valid()[:-4] + b"PAR2", None)
    add("pq-truncated-half", lambda: (d := valid())[: len(d) // 2], None, gz=True)
    add("pq-truncated-footer", lambda: valid()[:-4], None)
    add("pq-only-magic", b"PAR1\x00\x00\x00\x00PAR1", None)
    add("pq-not-parquet-jsonl", lambda: _join(_good(5, "npj")), None, gz=True)
    add("pq-not-parquet-csv", lambda: _csv(["prompt", "completion"], _pairs(5, "npc")), None)
    add("pq-empty-0-bytes", b"", None)
    add("pq-random-bytes", lambda: b"PAR1" + _rng("pq-random").randbytes(8192) + b"PAR1", None)

    add("pq-prompt-int", typed(lambda: _pa().array([1, 2, 3, 4, 5], _pa().int64())), 5, gz=True)
    add("pq-prompt-list", typed(lambda: _pa().array([["a", "b"]] * 5)), 5)
    add("pq-prompt-struct", typed(lambda: _pa().array([{"text": "hello", "lang": "en"}] * 5)), 5)
    add("pq-prompt-binary", typed(lambda: _pa().array([b"binary prompt"] * 5, _pa().binary())), 5)
    add("pq-prompt-large-string", typed(lambda: _pa().array(["large string prompt"] * 5, _pa().large_string())), 5)
    add("pq-prompt-dictionary", typed(lambda: _pa().array(["a b c", "d e f"] * 2 + ["g"]).dictionary_encode()), 5)
    add("pq-prompt-null-type", typed(lambda: _pa().nulls(5)), 5)
    add("pq-prompt-bool", typed(lambda: _pa().array([True, False, True, False, True])), 5)
    add("pq-prompt-float-nan", typed(lambda: _pa().array([float("nan"), 1.5, float("inf"), -0.0, 2.0])), 5)
    add("pq-prompt-timestamp", typed(lambda: _pa().array([0, 1, 2, 3, 4], _pa().timestamp("us"))), 5)
    add("pq-prompt-decimal", typed(lambda: _pa().array([decimal.Decimal("1.23")] * 5, _pa().decimal128(10, 2))), 5)
    add("pq-prompt-map", typed(lambda: _pa().array([[("k", "v")]] * 5, _pa().map_(_pa().string(), _pa().string()))), 5)
    add("pq-prompt-fixed-size-binary", typed(lambda: _pa().array([b"abcd"] * 5, _pa().binary(4))), 5)
    add("pq-prompt-invalid-utf8", typed(lambda: _pa().array([b"bad \xff\xfe", b"ok", b"\xc3\x28", b"fine", b"x"], _pa().binary()).view(_pa().string())), 5,
        tags={"encoding"}, desc="a string column holding bytes that are not UTF-8")

    def chat_column() -> bytes:
        import pyarrow as pa

        messages = pa.array([[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]] * 5)
        return _parquet({"messages": messages})

    add("pq-messages-column", chat_column, 5)

    def nulls() -> bytes:
        prompts, completions = _texts(10, "nulls")
        prompts[2] = prompts[7] = None
        completions[4] = None
        return _parquet({"prompt": prompts, "completion": completions})

    add("pq-nulls", nulls, 10, gz=True)
    add("pq-all-null", lambda: _parquet({"prompt": _pa().array([None] * 5, _pa().string()), "completion": ["x"] * 5}), 5)
    add("pq-many-row-groups", lambda: valid(10_000, "rg", row_group_size=5), 10_000, desc="2,000 row groups of 5 rows")

    def duplicate_names() -> bytes:
        import pyarrow as pa

        prompts, completions = _texts(5, "dn")
        table = pa.Table.from_arrays([pa.array(prompts), pa.array(completions), pa.array([p[::-1] for p in prompts])], names=["prompt", "completion", "prompt"])
        return _parquet(table=table)

    add("pq-duplicate-column-names", duplicate_names, 5, hints=[DUPLICATE], gz=True)
    add("pq-case-variant-columns", lambda: _parquet({"PROMPT": _texts(5, "cvc")[0], "Prompt": _texts(5, "cvc2")[0], "completion": _texts(5, "cvc")[1]}), 5, hints=[AMBIGUOUS])
    add("pq-upper-columns", lambda: _parquet({"PROMPT": _texts(5, "uc")[0], "COMPLETION": _texts(5, "uc")[1]}), 5)
    add("pq-prompt-nested-in-struct", lambda: _parquet({"data": [{"prompt": p, "completion": c} for p, c in zip(*_texts(5, "nis"))]}), 5)
    add("pq-10000-extra-columns", lambda: _parquet({**{f"c{i}": ["v"] * 5 for i in range(10_000)}, "prompt": _texts(5, "x10k")[0], "completion": _texts(5, "x10k")[1]}), 5)
    for codec in ("none", "zstd", "gzip", "brotli", "lz4"):
        add(f"pq-compression-{codec}", lambda codec=codec: valid(5, f"c-{codec}", compression=codec), 5)


# --- gzip ------------------------------------------------------------------------------------------------------


def _member(data: bytes) -> bytes:
    return _gz(data)


_MEMBER_CACHE: dict[tuple[bytes, int], bytes] = {}


def _repeated_member(byte: bytes, size: int) -> bytes:
    """One gzip member holding ``size`` copies of ``byte``, compressed once and reused by every bomb."""
    key = (byte, size)
    if key not in _MEMBER_CACHE:
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = byte * MiB
        parts = [comp.compress(chunk) for _ in range(size // MiB)]
        parts.append(comp.flush())
        _MEMBER_CACHE[key] = b"".join(parts)
    return _MEMBER_CACHE[key]


def _write_members(path: Path, members: Iterable[bytes]) -> None:
    with open(path, "wb") as handle:
        for member in members:
            handle.write(member)


def _bomb(prefix: bytes, byte: bytes, total: int, suffix: bytes = b"") -> Callable[[Path, Case], None]:
    """A gzip bomb as concatenated members (valid gzip, RFC 1952 section 2.2): the prefix, ``total`` bytes of
    ``byte`` as identical 64 MiB members (compressing 40 GiB in one stream would take minutes), the suffix."""
    block = 64 * MiB if total >= 64 * MiB else total

    def write(path: Path, case: Case) -> None:
        member = _repeated_member(byte, block)
        head = [_member(prefix)] if prefix else []
        tail = [_member(suffix)] if suffix else []
        _write_members(path, [*head, *(member for _ in range(total // block)), *tail])

    return write


def _single_stream_bomb(prefix: bytes, byte: bytes, total: int) -> Callable[[Path, Case], None]:
    """A gzip bomb as one member, streamed through zlib at level 9 so the uncompressed data never exists."""

    def write(path: Path, case: Case) -> None:
        comp = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = byte * MiB
        with open(path, "wb") as handle:
            handle.write(comp.compress(prefix))
            for _ in range(total // MiB):
                handle.write(comp.compress(chunk))
            handle.write(comp.flush())

    return write


def _gzip_cases(p: _Plan) -> None:
    def add(name, data, expected, *, ext=".jsonl.gz", tags=(), **kw):
        p.add(name, data, ext=ext, group="gzip", expected=expected, tags={"gz", *tags}, **kw)

    base = lambda tag, n=200: _join(_good(n, tag))  # noqa: E731

    def flip_middle(data: bytes) -> bytes:
        out = bytearray(data)
        out[len(out) // 2] ^= 0xFF
        return bytes(out)

    add("gz-corrupt-flipped-byte", lambda: flip_middle(_gz(base("flip"))), None, hints=[GZIP_DAMAGE], desc="one flipped byte in the middle of a valid .jsonl.gz")
    add("gz-corrupt-flipped-byte-csv", lambda: flip_middle(_gz(_csv(["prompt", "completion"], _pairs(200, "flipc")))), None, ext=".csv.gz", hints=[GZIP_DAMAGE])
    add("gz-truncated-half", lambda: (d := _gz(base("trunc")))[: len(d) // 2], None, hints=[GZIP_DAMAGE])
    add("gz-truncated-trailer", lambda: _gz(base("trail"))[:-8], None, hints=[GZIP_DAMAGE], desc="CRC and length missing")
    add("gz-truncated-header", lambda: _gz(base("head"))[:5], None, hints=[GZIP_DAMAGE])
    add("gz-bad-crc", lambda: (d := _gz(base("crc")))[:-8] + bytes(4) + d[-4:], None, hints=[GZIP_DAMAGE])
    add("gz-bad-length", lambda: (d := _gz(base("isize")))[:-4] + b"\x01\x00\x00\x00", None, hints=[GZIP_DAMAGE])
    add("gz-not-gzip-jsonl", lambda: base("plain", 5), None, desc="plain text with a .gz suffix")
    add("gz-not-gzip-csv", lambda: _csv(["prompt", "completion"], _pairs(5, "plainc")), None, ext=".csv.gz")
    add("gz-not-gzip-parquet", lambda: _parquet({"prompt": _texts(5, "plainp")[0], "completion": _texts(5, "plainp")[1]}), None, ext=".parquet.gz")
    add("gz-zlib-stream", lambda: zlib.compress(base("zlib", 5)), None, desc="a zlib stream, not gzip")
    add("gz-bzip2-content", lambda: bz2.compress(base("bz2", 5)), None)
    add("gz-double-gzipped", lambda: _gz(_gz(base("double", 5))), None, hints=[r"(gzip|compress)"])
    add("gz-empty-member", lambda: _gz(b""), 0)
    add("gz-empty-0-bytes", b"", None)
    add("gz-concatenated-members", lambda: _gz(base("m1", 5)) + _gz(base("m2", 5)), 10)
    add("gz-member-splits-a-line", lambda: _gz(base("split", 3) + b'{"prompt": "half a ') + _gz(b'line", "completion": "joined"}\n' + base("split2", 2)), 6)
    add("gz-1000-members", lambda: b"".join(_gz(line + b"\n") for line in _good(1000, "many")), 1000)
    add("gz-trailing-zeros", lambda: _gz(base("tz", 5)) + bytes(1024), 5, desc="padding after the member, as tape and some tools leave")
    add("gz-trailing-garbage", lambda: _gz(base("tg", 5)) + b"garbage after the member", None)
    add("gz-level-0-stored", lambda: _gz(base("l0", 5), level=0), 5)

    def fancy_header() -> bytes:
        data = base("fancy", 5)
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = comp.compress(data) + comp.flush()
        extra = b"AB\x04\x00xyzw"
        header = b"\x1f\x8b\x08" + bytes([0x04 | 0x10]) + bytes(4) + b"\x00\xff" + struct.pack("<H", len(extra)) + extra + b"a comment\x00"
        return header + body + struct.pack("<II", zlib.crc32(data), len(data))

    add("gz-fextra-fcomment-header", fancy_header, 5)

    def escape_fname(path: Path, case: Case) -> None:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="\x1b[31mred\x1b]0;title\x07.jsonl", mode="wb", fileobj=buf, mtime=0) as handle:
            handle.write(base("fname", 5))
        path.write_bytes(buf.getvalue())

    p.special("gz-fname-escape-header", "data.jsonl.gz", escape_fname, kind="jsonl.gz", group="gzip", expected=5, tags={"gz", "control"})
    p.special("gz-uppercase-suffix", "DATA.JSONL.GZ", _writes(lambda: _gz(base("upper", 5))), kind="jsonl.gz", group="gzip", expected=5, tags={"gz"})
    p.special("gz-only-suffix", "data.gz", _writes(lambda: _gz(base("only", 5))), kind="fs", group="gzip", tags={"gz", "unsupported"})
    p.special("gz-tar-gz", "data.tar.gz", _writes(lambda: _gz(base("tar", 5))), kind="fs", group="gzip", tags={"gz", "unsupported"})
    p.special("gz-double-suffix", "data.jsonl.gz.gz", _writes(lambda: _gz(_gz(base("gzgz", 5)))), kind="fs", group="gzip", tags={"gz"})
    # Bombs small enough for the normal suite (64 MiB uncompressed, 64 KiB on disk).
    p.special("gz-bomb-newlines-64mib", "bomb.jsonl.gz", _bomb(b"", b"\n", 64 * MiB), kind="jsonl.gz", group="gzip", expected=0, tags={"gz", "bomb"})
    p.special("gz-bomb-nul-64mib", "bomb.jsonl.gz", _bomb(b"", b"\x00", 64 * MiB), kind="jsonl.gz", group="gzip", tags={"gz", "bomb"})
    p.special("gz-bomb-spaces-csv-64mib", "bomb.csv.gz", _bomb(b"prompt,completion\n", b" ", 64 * MiB), kind="csv.gz", group="gzip", tags={"gz", "bomb"})
    p.special("gz-bomb-prompt-64mib", "bomb.jsonl.gz", _bomb(b'{"prompt": "', b"a", 64 * MiB, b'", "completion": "x"}\n'), kind="jsonl.gz", group="gzip",
              expected=1, tags={"gz", "bomb"})
    # The heavy bombs: compressed sizes 2 MB to 42 MB.
    p.special("bomb-csv-spaces-2gib", "bomb.csv.gz", _single_stream_bomb(b"prompt,completion\n", b" ", 2 * GiB), kind="csv.gz", group="bomb", heavy=True,
              tags={"gz", "bomb"}, desc="2 GiB of spaces after a CSV header, one gzip member")
    p.special("bomb-nul-8gib", "bomb.jsonl.gz", _bomb(b"", b"\x00", 8 * GiB), kind="jsonl.gz", group="bomb", heavy=True, tags={"gz", "bomb"})
    p.special("bomb-prompt-4gib", "bomb.jsonl.gz", _bomb(b'{"prompt": "', b"a", 4 * GiB, b'", "completion": "x"}\n'), kind="jsonl.gz", group="bomb",
              heavy=True, expected=1, tags={"gz", "bomb"}, desc="one 4 GiB prompt string")
    p.special("bomb-newlines-40gib", "bomb.jsonl.gz", _bomb(b"", b"\n", 40 * GiB), kind="jsonl.gz", group="bomb", heavy=True, expected=0, tags={"gz", "bomb"})


# --- file-system oddities --------------------------------------------------------------------------------------


def _fs_cases(p: _Plan) -> None:
    def content(tag: str, bad: bool = True) -> bytes:
        # one bad line so that the run has a row-level finding whose annotation carries the file name
        return _join(_good(5, tag) + ([b'{"prompt": "truncated'] if bad else []))

    def mkdir(path: Path, case: Case) -> None:
        path.mkdir()
        (path / "inner.jsonl").write_bytes(content("inner", bad=False))

    def fifo(path: Path, case: Case) -> None:
        if not hasattr(os, "mkfifo"):
            case.skip_reason = "os.mkfifo is not available on this platform"
            return
        os.mkfifo(path)

    def symlink(target: str) -> Callable[[Path, Case], None]:
        def write(path: Path, case: Case) -> None:
            if target.startswith("/dev/") and not os.path.exists(target):
                case.skip_reason = f"{target} does not exist here"
                return
            os.symlink(target, path)

        return write

    def unreadable(path: Path, case: Case) -> None:
        path.write_bytes(content("unreadable"))
        path.chmod(0)

    def unsearchable(path: Path, case: Case) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content("unsearchable"))
        path.parent.chmod(0)

    def unix_socket(path: Path, case: Case) -> None:
        if not hasattr(socket, "AF_UNIX"):
            case.skip_reason = "no unix sockets on this platform"
            return
        if len(os.fsencode(path)) > 100:  # sun_path holds 108 bytes
            case.skip_reason = f"path too long for a unix socket ({len(os.fsencode(path))} bytes)"
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(str(path))  # the socket file stays after close; nothing listens, so open() fails with ENXIO

    def sparse(path: Path, case: Case) -> None:
        with open(path, "wb") as handle:
            handle.truncate(GiB)

    root_reads_anything = os.name == "posix" and hasattr(os, "geteuid") and os.geteuid() == 0
    as_root = "running as root, which reads a mode-000 file anyway" if root_reads_anything else None

    p.special("fs-directory-jsonl", "x.jsonl", mkdir, desc="a directory named x.jsonl")
    p.special("fs-fifo-jsonl", "fifo.jsonl", fifo, desc="a FIFO nobody writes to: open() blocks for ever")
    p.special("fs-fifo-parquet", "fifo.parquet", fifo)
    p.special("fs-symlink-dev-zero", "zero.jsonl", symlink("/dev/zero"), desc="an endless stream of NUL bytes")
    p.special("fs-symlink-dev-zero-gz", "zero.jsonl.gz", symlink("/dev/zero"))
    p.special("fs-symlink-dev-urandom-csv", "random.csv", symlink("/dev/urandom"), desc="endless random bytes")
    p.special("fs-symlink-dev-null", "null.jsonl", symlink("/dev/null"), expected=0)
    p.special("fs-dangling-symlink", "dangling.jsonl", symlink("does-not-exist.jsonl"))
    p.special("fs-symlink-loop", "loop.jsonl", symlink("loop.jsonl"))

    def to_valid(path: Path, case: Case) -> None:
        (path.parent / "real.data").write_bytes(content("real", bad=False))
        os.symlink("real.data", path)

    def to_directory(path: Path, case: Case) -> None:
        (path.parent / "adir").mkdir()
        os.symlink("adir", path)

    p.special("fs-symlink-to-valid", "link.jsonl", to_valid, expected=5, desc="control: a symlink to a good file")
    p.special("fs-symlink-to-directory", "dirlink.jsonl", to_directory)
    p.special("fs-no-read-permission", "secret.jsonl", unreadable, skip_reason=as_root)
    p.special("fs-directory-no-search-permission", "locked/data.jsonl", unsearchable, skip_reason=as_root)
    p.special("fs-unix-socket", "sock.jsonl", unix_socket)
    p.special("fs-missing-file", "does-not-exist.jsonl", lambda path, case: None)
    odd_names = [
        ("fs-name-newline", "new\nline.jsonl", set()),
        ("fs-name-carriage-return", "carriage\rreturn.jsonl", {"control"}),
        ("fs-name-escape", "esc\x1b[31mred\x1b]0;title\x07.jsonl", {"control"}),
        ("fs-name-bidi", "report\u202eldat.jsonl", {"control"}),
        ("fs-name-c1", "c1\u009bname.jsonl", {"control"}),
        ("fs-name-github-metacharacters", "a,b:c%d::e.jsonl", set()),
        ("fs-name-spaces-unicode", "my data \u00fcn\u00efc\u00f8d\u00e9.jsonl", set()),
        ("fs-name-invalid-utf8", os.fsdecode(b"bad\xff\xfename.jsonl"), {"control"}),
        ("fs-name-very-long", "l" * 240 + ".jsonl", set()),
    ]
    for name, filename, tags in odd_names:
        p.special(name, filename, _writes(lambda name=name: content(name)), expected=6, tags=tags)
    for name, filename in [
        ("fs-unsupported-txt", "data.txt"),
        ("fs-unsupported-xlsx", "data.xlsx"),
        ("fs-unsupported-bz2", "data.jsonl.bz2"),
        ("fs-unsupported-zst", "data.jsonl.zst"),
        ("fs-no-suffix", "data"),
        ("fs-dotfile-jsonl", ".jsonl"),
    ]:
        p.special(name, filename, _writes(lambda name=name: content(name, bad=False)), tags={"unsupported"})
    p.special("fs-uppercase-jsonl", "DATA.JSONL", _writes(lambda: content("upj")), expected=6)
    p.special("fs-uppercase-csv", "DATA.CSV", _writes(lambda: _csv(["prompt", "completion"], _pairs(5, "upc"))), expected=5)
    p.special("fs-double-suffix", "data.csv.jsonl", _writes(lambda: content("ds")), expected=6)
    p.special("fs-sparse-1gib-nul", "sparse.jsonl", sparse, heavy=True, desc="1 GiB of NUL bytes, no newline, almost nothing on disk")


# --- the quick subset ------------------------------------------------------------------------------------------

# The non-slow run: about 60 s on two cores. A run through every rule costs 3.5 to 5 s whatever the input (most
# of it loading presidio and spaCy for PI001), a run stopped by the reader about 1 s, so this is a dozen full runs,
# one per family of defect, and eight inputs a correct reader refuses at once (on code that hangs or balloons on
# them they cost up to the limits, which is the point).
QUICK = {
    # full runs (each costs 3-5 s, most of it loading the PII engine)
    "val-duplicate-key-prompt", "csv-duplicate-header-prompt", "pii-email-labels-jsonl",
    # refused by the reader (about 1 s each)
    "jsonl-utf16le-bom", "json-nest-100000", "gz-corrupt-flipped-byte", "fs-symlink-dev-zero", "fs-fifo-jsonl",
}
# Of those, the ones whose prepare runs (with --pii keep for PII cases) are quick too: prepare repeats lint's work,
# and tests/test_no_leak.py checks prepare's outputs in process, so none is in the quick run.
QUICK_PREPARE: set[str] = set()

_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def catalog(root: Path) -> list[Planned]:
    """Every case with its writer, in a stable order; nothing is written."""
    p = _Plan(Path(root))
    for section in (_jsonl_syntax, _values, _chats, _sizes, _control, _pii, _csv_cases, _json_cases, _parquet_cases, _gzip_cases, _fs_cases):
        section(p)
    names = [item.case.name for item in p.items]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case names: {sorted(duplicates)}"
    bad = [n for n in names if not _NAME.match(n)]
    assert not bad, f"case names must be kebab-case: {bad}"
    paths = [item.case.path for item in p.items]
    assert len(set(paths)) == len(paths), "two cases share a path"
    missing = (QUICK | QUICK_PREPARE) - set(names)
    assert not missing, f"quick cases that do not exist: {sorted(missing)}"
    for item in p.items:
        if item.case.name in QUICK:
            item.case.tags.add("quick")
        if item.case.name in QUICK_PREPARE:
            item.case.tags.add("quick-prepare")
    return p.items


def generate(root: Path, *, heavy: bool = True, only: Iterable[str] | None = None) -> list[Case]:
    """Write the cases under ``root`` and return them (``heavy=False`` leaves out the heavy ones; ``only`` names
    the cases to write). Writing the same root again replaces what is there with the same bytes."""
    wanted = set(only) if only is not None else None
    out = []
    for item in catalog(root):
        if (not heavy and item.case.heavy) or (wanted is not None and item.case.name not in wanted):
            continue
        out.append(item.materialize())
    return out


if __name__ == "__main__":  # python -m tests.hostile.cases DIR [--no-heavy]: write the cases and time it
    import sys
    import time

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/prep-hostile")
    started = time.monotonic()
    cases = generate(target, heavy="--no-heavy" not in sys.argv)
    print(f"{len(cases)} cases in {target} in {time.monotonic() - started:.1f} s "
          f"({sum(c.quick for c in cases)} quick, {sum(c.heavy for c in cases)} heavy, {sum(bool(c.skip_reason) for c in cases)} skipped)")
