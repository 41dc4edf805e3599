"""Readers and bad inputs: every bad input gives a finding or exit code 2 with one line, never a traceback."""

from __future__ import annotations

import gzip
import json

import polars as pl
import pytest

from prep.errors import InputError
from prep.readers import read_source, source_from_frame
from tests.conftest import shared, write_jsonl


def test_jsonl_rows_lines_and_types(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(
        '{"prompt": "a", "completion": "b"}\n\n{"prompt": 1, "completion": null}\n{"prompt": "c"}\n', encoding="utf-8"
    )
    frame = read_source(path).frame
    assert frame["row"].to_list() == [0, 1, 2]
    assert frame["line"].to_list() == [1, 3, 4]
    assert frame["prompt_type"].to_list() == ["string", "number", "string"]
    assert frame["completion_type"].to_list() == ["string", "null", "missing"]


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv"])
def test_utf8_bom_is_ignored(tmp_path, suffix):
    content = {
        ".jsonl": '{"prompt": "a", "completion": "b"}\n',
        ".json": '[{"prompt": "a", "completion": "b"}]',
        ".csv": "prompt,completion\na,b\n",
    }[suffix]
    path = tmp_path / f"d{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + content.encode())
    source = read_source(path)
    assert source.frame.select("prompt", "completion").row(0) == ("a", "b")
    assert source.columns == {"prompt": "prompt", "completion": "completion"}


def test_csv_embedded_newlines_and_quotes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('prompt,completion\n"line one\nline two, with comma","say ""hi"""\nx,y\n', encoding="utf-8")
    frame = read_source(path).frame
    assert frame["prompt"].to_list() == ["line one\nline two, with comma", "x"]
    assert frame["completion"].to_list() == ['say "hi"', "y"]


def test_csv_malformed_record_keeps_other_rows(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("prompt,completion\na,b\nc,d,e\n\"f\nstill f\",g\n", encoding="utf-8")
    frame = read_source(path).frame
    assert frame["row"].to_list() == [0, 1, 2]
    assert frame["problem_kind"].to_list() == [None, "unreadable", None]
    assert frame["line"].to_list() == [2, 3, 4]
    assert frame["prompt"].to_list()[2] == "f\nstill f"


def test_csv_unterminated_quote_is_reported(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('prompt,completion\na,b\n"never closed,c\nd,e\n', encoding="utf-8")
    frame = read_source(path).frame
    assert frame["problem_kind"].to_list() == [None, "unreadable"]
    assert "line 3" in frame["problem"][1]


def test_json_file_holding_jsonl_is_read_as_jsonl(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": "d"}\n', encoding="utf-8")
    assert read_source(path).frame["prompt"].to_list() == ["a", "c"]


def test_single_json_object_is_one_record(tmp_path):
    path = tmp_path / "d.json"
    path.write_text('{"prompt": "a", "completion": "b"}', encoding="utf-8")
    assert read_source(path).n_records == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"prompt": "a", "completion": "b"},', "invalid JSON at line 1 column 37"),
        ('"just a string"', "expected a JSON array of objects, got string"),
    ],
)
def test_broken_json_array_is_an_input_error(tmp_path, content, message):
    path = tmp_path / "d.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_source(path)


def test_parquet_typed_columns(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"PROMPT": ["a", None, "c"], "completion": [1, 2, None]}).write_parquet(path)
    source = read_source(path)
    frame = source.frame
    assert source.columns == {"prompt": "PROMPT", "completion": "completion"}
    assert frame["prompt_type"].to_list() == ["string", "null", "string"]
    assert frame["completion_type"].to_list() == ["number", "number", "null"]


def test_corrupt_parquet_is_an_input_error(tmp_path):
    path = tmp_path / "d.parquet"
    path.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_source(path)


def test_gzip_jsonl(tmp_path):
    path = tmp_path / "d.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"prompt": "a", "completion": "b"}\n'))
    assert read_source(path).frame["prompt"].to_list() == ["a"]


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.jsonl", "no such file"), ("data.txt", "unsupported file type '.txt'")],
)
def test_missing_or_unsupported_file(tmp_path, name, message):
    with pytest.raises(InputError, match=message):
        read_source(tmp_path / name)


def test_directory_is_an_input_error(tmp_path):
    folder = tmp_path / "dir.jsonl"
    folder.mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_source(folder)


def test_chat_conversion(tmp_path):
    path = write_jsonl(
        tmp_path / "chat.jsonl",
        [
            {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
                          {"role": "assistant", "content": "A"}]},
            {"messages": [{"role": "user", "content": "U2"}, {"role": "assistant", "content": "A2"}]},
            {"messages": [{"role": "assistant", "content": "A3"}]},
        ],
    )
    frame = read_source(path).frame
    assert frame["prompt"].to_list() == ["S\n\nU", "U2", None]
    assert frame["completion"].to_list() == ["A", "A2", None]
    assert frame["problem_kind"].to_list() == [None, None, "unconvertible-chat"]


def test_frame_source_keeps_every_row():
    frame = pl.DataFrame({"prompt": ["a", None], "completion": ["b", "c"], "extra": [1, 2]})
    source = source_from_frame(frame, name="t")
    assert source.n_records == 2
    assert source.available_columns == ("prompt", "completion", "extra")


def test_toy_chat_file(tmp_path):
    source = read_source(shared("openai_cookbook/toy_chat_fine_tuning.jsonl"))
    assert source.n_records == 5
    assert source.frame["problem_kind"].to_list().count("unconvertible-chat") == 2


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xfe\x00garbage",
        b'{"prompt": "a", "completion": "b"',
        b'{"prompt": {"nested": [1, 2]}, "completion": 3.5}\n',
        b"\x00\x01\x02\n\n\n",
        json.dumps({"prompt": "a" * 10, "completion": "\ud800"}).encode(),
    ],
)
def test_bad_jsonl_never_raises(tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    source = read_source(path)
    assert source.n_records == len([line for line in content.split(b"\n") if line.strip()])


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"\xff\xfe\x00garbage", "UTF-16 LE"),  # was read as one garbage record, with no hint
        ('{"prompt": "a", "completion": "b"}\n'.encode("utf-16"), "UTF-16 LE"),
        ('{"prompt": "a", "completion": "b"}\n'.encode("utf-16-be"), "UTF-16 BE"),
        ('{"prompt": "a", "completion": "b"}\n'.encode("utf-32"), "UTF-32 LE"),
        (b"\x00" * 5000, "binary data"),
    ],
)
def test_text_that_is_not_utf8_is_an_input_error_naming_the_encoding(tmp_path, content, named):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=named):
        read_source(path)


# --- the polars fast path for JSONL equals the line-by-line reader ---------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from prep.readers.jsonl import read_polars, records_of  # noqa: E402
from prep.readers.records import FrameBuilder, frame_from_records  # noqa: E402
from prep.readers.stream import Segment  # noqa: E402


def _read_jsonl_polars(raw: bytes, cols):
    """The polars path on a whole file, as a source frame (None when it declines)."""
    fast = read_polars(raw, cols)
    if fast is None:
        return None
    builder = FrameBuilder(cols)
    builder.add_frame(*fast)
    return builder.finish()


def _jsonl_records(raw: bytes):
    return records_of(Segment(1, raw), 1 << 30)


_frame_from_records = frame_from_records

COLS = ("prompt", "completion")
_TEXT = st.lists(
    st.sampled_from(list('ab "\\\n\t{}:,é😀\u2028') + ['"prompt": "', "\ud800", "\udc00", "\\ud800"]), max_size=10
).map("".join)
_VALUE = st.one_of(_TEXT, _TEXT, _TEXT, st.none(), st.integers(-5, 5), st.floats(allow_nan=False), st.booleans(),
                   st.lists(st.integers(), max_size=2), st.fixed_dictionaries({"prompt": _TEXT}))


@st.composite
def _jsonl_bytes(draw):
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["plain"] * 6 + ["extra", "missing", "odd", "dup", "blank", "bad", "case"]))
        record = {"prompt": draw(_TEXT), "completion": draw(_TEXT)}
        if kind == "extra":
            record[draw(st.sampled_from(["id", "meta", "label"]))] = draw(_VALUE)
        elif kind == "missing":
            del record[draw(st.sampled_from(COLS))]
        elif kind == "odd":
            record[draw(st.sampled_from(COLS))] = draw(_VALUE)
        elif kind == "case":
            record["Prompt"] = record.pop("prompt")
        line = json.dumps(record, ensure_ascii=draw(st.booleans()), separators=draw(st.sampled_from([None, (",", ":")])))
        if kind == "dup":
            line = line[:-1] + ', "prompt": "again"}'
        elif kind == "blank":
            line += "\n"
        elif kind == "bad":
            line = line[:-1]
        lines.append(line)
    return ("\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))).encode("utf-8", "surrogatepass")


@pytest.mark.slow  # several seconds; CI runs it
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_jsonl_bytes())
def test_polars_jsonl_path_equals_the_line_by_line_reader(raw):
    """When polars reads a JSONL file, the frame is exactly the one the line-by-line reader builds."""
    fast = _read_jsonl_polars(raw, COLS)
    if fast is None:
        return
    frame, columns, _ = fast
    slow_frame, slow_columns, _ = _frame_from_records(_jsonl_records(raw), COLS)
    assert columns == slow_columns
    assert frame.equals(slow_frame), (frame, slow_frame)


def test_polars_jsonl_path_takes_clean_files_and_real_data(tmp_path):
    clean = b'{"prompt": "a \\"q\\" \\u00e9 \\ud83d\\ude00", "completion": "b", "id": 1}\n{"prompt":"c","completion":"d"}'
    assert _read_jsonl_polars(clean, COLS) is not None  # a surrogate pair is fine... only if polars reads it right
    for path in sorted(shared("").glob("*/*.jsonl")) if shared("").exists() else []:
        raw = path.read_bytes()
        fast = _read_jsonl_polars(raw, COLS)
        if fast is not None:
            assert fast[0].equals(_frame_from_records(_jsonl_records(raw), COLS)[0]), path
    for raw in (b'{"prompt": "a", "completion": "b"}\n\n{"prompt": "c", "completion": "d"}\n',  # blank line
                b'{"prompt": 1, "completion": "b"}\n', b'{"prompt": null, "completion": "b"}\n',
                b'{"prompt": "a", "prompt": "z", "completion": "b"}\n', b'{"prompt": "\\ud800", "completion": "b"}\n'):
        assert _read_jsonl_polars(raw, COLS) is None, raw


# --- hostile input: bounded, located, never an internal error ---------------------------------------------------

import os  # noqa: E402
import threading  # noqa: E402
import zlib  # noqa: E402

from prep.readers import ReadLimits  # noqa: E402


def _in_thread(fn, timeout=10.0):
    """Run ``fn`` in a thread; (finished, result or exception)."""
    box = {}

    def target():
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001
            box["result"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), box.get("result")


def test_only_regular_files_are_read_and_at_once(tmp_path):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    finished, result = _in_thread(lambda: read_source(fifo))
    if not finished:  # today's code blocks in open(); let it go before failing
        with open(fifo, "wb"):
            pass
    assert finished, "reading a FIFO blocked"
    assert isinstance(result, InputError) and "FIFO" in str(result)
    zero = tmp_path / "zero.jsonl"
    zero.symlink_to("/dev/zero")
    finished, result = _in_thread(lambda: read_source(zero), timeout=5)
    assert finished and isinstance(result, InputError) and "character device" in str(result)
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_source(tmp_path / "dir.jsonl")
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "nowhere.jsonl")
    with pytest.raises(InputError, match="broken symbolic link"):
        read_source(tmp_path / "dangling.jsonl")


@pytest.mark.slow  # several seconds; CI runs it
def test_gzip_is_streamed_with_a_bound_and_corruption_is_an_input_error(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    with open(bomb, "wb") as handle:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        for _ in range(64):  # 256 MiB of spaces, 250 KB on disk
            handle.write(packer.compress(b" " * (4 << 20)))
        handle.write(packer.flush())
    with pytest.raises(InputError, match="decompresses to more than 50,000,000 bytes.*gzip bomb"):
        read_source(bomb, limits=ReadLimits(max_input_bytes=50_000_000))
    good = gzip.compress(b'{"prompt": "a", "completion": "b"}\n' * 5000)
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0x5A
    (tmp_path / "flip.jsonl.gz").write_bytes(bytes(flipped))
    with pytest.raises(InputError, match="(corrupt|truncated) gzip data.*damaged"):
        read_source(tmp_path / "flip.jsonl.gz")
    (tmp_path / "cut.jsonl.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match="truncated gzip data"):
        read_source(tmp_path / "cut.jsonl.gz")


def test_malformed_records_are_located_findings_not_internal_errors(tmp_path):
    path = tmp_path / "bad.jsonl"
    lines = [
        '{"prompt": ' + "[" * 5000 + "]" * 5000 + ', "completion": "x"}',  # nested deeper than Python's parser goes
        '{"prompt": "a", "completion": "b", "n": ' + "9" * 5000 + "}",  # over Python's int-string limit
        "\x0c",  # a form feed is not JSON whitespace: a record, unreadable
        '{"prompt": "c", "completion": "d"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = read_source(path)
    problems = source.frame.select("line", "problem_kind", "problem").rows()
    assert [p[:2] for p in problems] == [(1, "unreadable"), (2, "unreadable"), (3, "unreadable"), (4, None)]
    assert "nested too deeply" in problems[0][2] and "too many digits" in problems[1][2]
    deep = tmp_path / "deep.json"
    deep.write_text("[" + "[" * 5000 + "]" * 5000 + "]", encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        read_source(deep)


def test_a_record_over_the_limit_is_reported_not_read_and_the_rest_is_read(tmp_path):
    path = tmp_path / "big.jsonl"
    big = json.dumps({"prompt": "x" * 3_000_000, "completion": "y"})
    good = [json.dumps({"prompt": f"p{i}", "completion": "c"}) for i in range(30)]
    path.write_text("\n".join([good[0], big, *good[1:]]) + "\n", encoding="utf-8")
    source = read_source(path, limits=ReadLimits(max_record_bytes=1_000_000))
    assert source.n_records == 31
    unread = source.problem_rows("unreadable").rows()
    assert unread == [(1, 2, f"line 2: record is {len(big):,} bytes, over max-record-bytes (1,000,000); not read")]
    assert source.frame["line"].to_list() == list(range(1, 32))
    for suffix, text in ((".csv", "prompt,completion\n" + "x" * 3_000_000 + ",y\na,b\n"),):
        other = tmp_path / f"big{suffix}"
        other.write_text(text, encoding="utf-8")
        source = read_source(other, limits=ReadLimits(max_record_bytes=1_000_000))
        assert source.frame.select("line", "problem_kind").rows() == [(2, "unreadable"), (3, None)]


def test_mostly_unreadable_input_is_refused(tmp_path):
    path = tmp_path / "ones.jsonl.gz"
    path.write_bytes(gzip.compress(b"1\n" * 200_001))
    with pytest.raises(InputError, match="are unreadable: this is not a file of prompt/completion records"):
        read_source(path)


def test_csv_records_carry_their_lines_and_ambiguous_headers_are_not_guessed(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('prompt,completion\n"two\nlines",b\nc\ne,f\n\n\n"g",""\nh,\n', encoding="utf-8")
    source = read_source(path)
    assert source.frame.select("line", "prompt", "completion", "problem_kind").rows() == [
        (2, "two\nlines", "b", None),
        (4, None, None, "unreadable"),  # a missing field: located, not a silent null
        (5, "e", "f", None),
        (8, "g", "", None),  # "" is an empty string (SC003) ...
        (9, "h", None, None),  # ... an empty field is null (SC002)
    ]
    dup = tmp_path / "dup.csv"
    dup.write_text("prompt,completion,prompt\na,b,c\n", encoding="utf-8")
    source = read_source(dup)
    assert source.columns["prompt"] is None and source.ambiguous == {"prompt": [1, 3]}


def test_parquet_rows_are_their_lines(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"prompt": ["a", None, "c"], "completion": ["x", "y", "z"]}).write_parquet(path)
    assert read_source(path).frame["line"].to_list() == [1, 2, 3]


def test_a_key_given_twice_is_ambiguous_not_guessed(tmp_path):
    jsonl_path = tmp_path / "d.jsonl"
    jsonl_path.write_text('{"prompt": "a", "prompt": "b", "completion": "c"}\n'
                          '{"prompt": "x", "completion": "y", "meta": {"prompt": 1, "prompt": 2}}\n', encoding="utf-8")
    json_path = tmp_path / "d.json"
    json_path.write_text('[{"prompt": "x", "completion": "y"}, {"completion": "a", "completion": "b", "prompt": "p"}]',
                         encoding="utf-8")
    for path, bad in ((jsonl_path, 0), (json_path, 1)):
        frame = read_source(path).frame
        assert frame["problem_kind"].to_list() == ["unreadable" if row == bad else None for row in range(2)], path
        assert "occurs 2 times in the record: ambiguous" in frame["problem"][bad]


def test_keys_that_differ_only_in_case_are_ambiguous_not_guessed(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"PROMPT": "a", "Prompt": "b", "completion": "c"}\n{"prompt": "x", "completion": "y"}\n',
                    encoding="utf-8")
    frame = read_source(path).frame
    assert frame["problem_kind"].to_list() == ["unreadable", None]
    assert "both match 'prompt' (case differs): ambiguous" in frame["problem"][0]
    table = tmp_path / "d.parquet"
    pl.DataFrame({"PROMPT": ["a"], "Prompt": ["b"], "completion": ["c"]}).write_parquet(table)
    assert read_source(table).columns["prompt"] is None
