"""prep.tokenizers must count exactly like the reference encoders, offline.

References: llama_models.llama3.tokenizer.Tokenizer (tiktoken + Meta's chunking) and mistral-common's
SentencePieceTokenizer on tokenizer.model.v1, both with bos=False, eos=False.
"""

from __future__ import annotations

import csv
import importlib.resources
import json
import re
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prep import tokenizers as tk
from prep.errors import ConfigError, DependencyError
from prep.tokenizers import FAMILIES, Tokenizer, count_tokens_family, get_tokenizer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

RefEncode = Callable[[str], list[int]]


# --- references --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llama_reference():
    from llama_models.llama3.tokenizer import Tokenizer as LlamaTokenizer

    return LlamaTokenizer.get_instance()


@pytest.fixture(scope="module")
def mistral_reference():
    from mistral_common.tokens.tokenizers.sentencepiece import SentencePieceTokenizer

    path = importlib.resources.files("mistral_common") / "data" / "tokenizer.model.v1"
    return SentencePieceTokenizer(str(path))


@pytest.fixture(scope="module")
def references(llama_reference, mistral_reference) -> dict[str, RefEncode]:
    return {
        "llama3": lambda s: llama_reference.encode(s, bos=False, eos=False),
        "mistral-v1": lambda s: mistral_reference.encode(s, bos=False, eos=False),
    }


def assert_counts_equal(family: str, texts: list[str], ref: RefEncode, label: str = "") -> None:
    got = get_tokenizer(family).count(texts)
    assert isinstance(got, np.ndarray) and got.dtype == np.int64 and got.shape == (len(texts),)
    expected = [len(ref(s)) for s in texts]
    got_list = got.tolist()
    if got_list != expected:
        i = next(i for i, (a, b) in enumerate(zip(got_list, expected)) if a != b)
        pytest.fail(
            f"{family} {label}: first mismatch at index {i}: got {got_list[i]}, reference {expected[i]},"
            f" text {texts[i][:200]!r}"
        )


# --- real datasets -----------------------------------------------------------------------------------


def _json_fields(rel: str, fields: tuple[str, ...]) -> list[str]:
    rows = json.loads((DATA / rel).read_text(encoding="utf-8"))
    return [row[f] for row in rows for f in fields if isinstance(row.get(f), str)]


def _jsonl_rows(rel: str) -> list[dict]:
    with open(DATA / rel, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _dbpedia() -> list[str]:
    rows = _jsonl_rows("openai_cookbook/dbpedia_samples_prompt_completion.jsonl")
    return [row[f] for row in rows for f in ("prompt", "completion")]


def _toy_chat() -> list[str]:
    rows = _jsonl_rows("openai_cookbook/toy_chat_fine_tuning.jsonl")
    return [m["content"] for row in rows for m in row["messages"] if isinstance(m.get("content"), str)]


def _support_tickets() -> list[str]:
    with open(DATA / "support_tickets/support_tickets.csv", newline="", encoding="utf-8") as fh:
        return [row["REQUEST"] for row in csv.DictReader(fh)]


DATASETS: dict[str, Callable[[], list[str]]] = {
    "alpaca": lambda: _json_fields("alpaca_demo/alpaca_en_demo.json", ("instruction", "input", "output")),
    "toolformer": lambda: _json_fields(
        "gpteacher_toolformer/toolformer-dedupe-only-dataset.json", ("instruction", "input", "response")
    ),
    "dbpedia": _dbpedia,
    "toy_chat": _toy_chat,
    "pii_small": lambda: _json_fields("pii_small/generated_small.json", ("full_text",)),
    "support_tickets": _support_tickets,
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_real_datasets_equal_reference(dataset: str, family: str, references) -> None:
    if not DATA.is_dir():
        pytest.skip(f"shared data folder {DATA} is absent")
    texts = DATASETS[dataset]()
    assert texts, f"no texts read from {dataset}"
    assert_counts_equal(family, texts, references[family], dataset)


# --- synthetic edge cases ----------------------------------------------------------------------------

EDGE_CASES: list[str] = [
    "",
    " ",
    "   ",
    "\t",
    "\n",
    "\n\n\n",
    " \t \n ",
    "\u00a0\u2003\u3000",
    "\r\n",
    "a\r\nb\rc\nd\r\n\r\n",
    "line one\r\n\r\n  line two \r",
    "\r\r\n\n\r",
    "Hello 👋🏽 world 🇫🇷 👨‍👩‍👧‍👦",
    "日本語のテキストと中文文本，한국어도",
    "مرحبا بالعالم שלום עולם",
    "e\u0301 a\u0308 \u0915\u094d\u0937 Z\u0351\u0360\u0346",
    "\ufeffBOM at start",
    "\x00\x01\x7f control chars",
    "<|begin_of_text|>",
    "<|eot_id|>",
    "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
    "<|reserved_special_token_250|>",
    "[INST] hello [/INST]",
    "</s>",
    "<s>",
    "<s>[INST] a </s><unk>",
    "▁▁already▁spm▁text",
    "12345678901234567890 3.14159 1,000,000",
    "don't can't WE'LL I'M they'RE",
    "    indented code\n\tdef f(x):\n\t\treturn x  # comment",
    "x" * 25_000,
    "x" * 25_001,
    "x" * 30_000,
    " " * 25_000,
    " " * 30_000,
    "\n" * 30_000,
    "ab " * 12_000,
    "a" * 24_999 + " " * 25_002 + "b" * 50_001,
    "é" * 30_000,
    "🙂" * 26_000,
    ("word " * 40_000 + "z" * 30_000 + " " * 30_000)[:410_000],
    "y" * 410_000,
    ("The quick brown fox. " * 20_000)[:410_000] + "tail",
]


@pytest.mark.parametrize("family", FAMILIES)
def test_edge_cases_equal_reference(family: str, references) -> None:
    assert_counts_equal(family, EDGE_CASES, references[family], "edge cases")


@pytest.mark.parametrize("family", FAMILIES)
def test_encode_equals_reference(family: str, references) -> None:
    tok = get_tokenizer(family)
    for text in EDGE_CASES[:30] + ["x" * 30_000, " " * 30_000, "ab " * 12_000]:
        assert tok.encode(text) == references[family](text), text[:80]


@pytest.mark.parametrize("family", FAMILIES)
def test_empty_inputs(family: str) -> None:
    empty = count_tokens_family(family, [])
    assert empty.dtype == np.int64 and empty.shape == (0,)
    assert count_tokens_family(family, [""]).tolist() == [0]
    assert get_tokenizer(family).encode("") == []


def test_specials_are_plain_text() -> None:
    # <|eot_id|> is id 128009 when special; as plain text it is several ordinary tokens.
    ids = get_tokenizer("llama3").encode("<|eot_id|>")
    assert len(ids) > 1 and all(i < 128_000 for i in ids)
    assert 2 not in get_tokenizer("mistral-v1").encode("</s>")  # 2 is </s> in the v1 model


@pytest.mark.parametrize("family", FAMILIES)
def test_batching_threads_and_iterables(family: str, references, monkeypatch) -> None:
    texts = [f"row {i}: " + "word " * (i % 37) + ("x" * 26_000 if i % 50 == 7 else "") for i in range(300)]
    expected = [len(references[family](s)) for s in texts]
    monkeypatch.setattr(tk, "BATCH_TEXTS", 16)
    monkeypatch.setattr(tk, "BATCH_CHARS", 5_000)
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("PREP_THREADS", threads)
        tok = get_tokenizer(family)
        assert tok.count(texts).tolist() == expected
        assert tok.count(iter(texts)).tolist() == expected  # any iterable works
        assert tok.count(tuple(texts[:3])).tolist() == expected[:3]


def test_thread_count(monkeypatch) -> None:
    monkeypatch.delenv("PREP_THREADS", raising=False)
    assert 1 <= tk.thread_count() <= 2
    monkeypatch.setenv("PREP_THREADS", "4")
    assert tk.thread_count() == 4
    for bad in ("0", "-1", "two"):
        monkeypatch.setenv("PREP_THREADS", bad)
        with pytest.raises(ConfigError, match="PREP_THREADS"):
            count_tokens_family("llama3", ["x"])


def test_lone_surrogates(references) -> None:
    texts = ["a\ud800b", "\udfff", "ok \ud83d\ude00"]
    # tiktoken replaces lone surrogates itself, so llama3 still equals the reference ...
    assert_counts_equal("llama3", texts, references["llama3"], "surrogates")
    # ... the SentencePiece reference cannot encode them; we count them as U+FFFD.
    fixed = [tk._without_lone_surrogates(s) for s in texts]
    assert fixed[0] == "a\ufffdb" and fixed[2] == "ok \U0001f600"
    assert count_tokens_family("mistral-v1", texts).tolist() == [len(references["mistral-v1"](s)) for s in fixed]


@pytest.mark.parametrize("family", FAMILIES)
def test_non_str_rejected(family: str) -> None:
    with pytest.raises(TypeError):
        count_tokens_family(family, ["ok", None])  # type: ignore[list-item]


# --- the llama3 chunking -----------------------------------------------------------------------------


def test_python_re_whitespace_is_str_isspace() -> None:
    # split_like_llama3 relies on re's \s being exactly str.isspace, which the reference loop uses.
    ws = re.compile(r"\s")
    mismatches = [c for c in range(sys.maxunicode + 1) if (ws.match(chr(c)) is not None) != chr(c).isspace()]
    assert mismatches == []


def test_split_matches_reference_loop(llama_reference) -> None:
    def reference_split(s: str) -> list[str]:
        return [
            piece
            for i in range(0, len(s), tk.TIKTOKEN_MAX_ENCODE_CHARS)
            for piece in llama_reference._split_whitespaces_or_nonwhitespaces(
                s[i : i + tk.TIKTOKEN_MAX_ENCODE_CHARS], tk.MAX_NO_WHITESPACES_CHARS
            )
        ]

    texts = [
        "",
        "a",
        "x" * 25_000,
        "x" * 25_001,
        "x" * 50_000,
        "x" * 50_001,
        " " * 75_001,
        "a" * 24_999 + " " * 25_002 + "b" * 50_001 + "\n" * 3,
        " " + "a" * 60_000,
        "\u2003" * 26_000 + "\u00a0" * 10 + "q" * 26_000,
        "word " * 90_000,  # 450k chars: chunk boundary inside a run
        "y" * 399_990 + " " * 30_000,  # whitespace run crossing the 400k boundary
    ]
    for text in texts:
        assert list(tk.split_like_llama3(text)) == reference_split(text), (len(text), text[:20])


# --- property test -----------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(_TEXT, max_size=8))
def test_property_batch_equals_reference(texts: list[str], references) -> None:
    for family in FAMILIES:
        expected = [len(references[family](s)) for s in texts]
        assert get_tokenizer(family).count(texts).tolist() == expected, family


# --- loading -----------------------------------------------------------------------------------------


def test_unknown_family() -> None:
    with pytest.raises(ConfigError, match="known families: llama3, mistral-v1"):
        get_tokenizer("gpt2")
    with pytest.raises(ConfigError):
        count_tokens_family("Llama3", ["x"])


def test_loaded_once_and_described() -> None:
    for family in FAMILIES:
        tok = get_tokenizer(family)
        assert isinstance(tok, Tokenizer) and tok.family == family
        assert get_tokenizer(family) is tok
    assert "llama-models" in get_tokenizer("llama3").origin
    assert get_tokenizer("llama3").origin.endswith("tokenizer.model")
    assert "mistral-common" in get_tokenizer("mistral-v1").origin
    assert get_tokenizer("mistral-v1").origin.endswith("tokenizer.model.v1")


def test_same_vocabulary_as_reference(llama_reference, mistral_reference) -> None:
    enc = get_tokenizer("llama3")._encoding  # type: ignore[attr-defined]
    assert enc._mergeable_ranks == llama_reference.model._mergeable_ranks
    assert enc._special_tokens == llama_reference.special_tokens
    assert len(enc._special_tokens) == 256 and enc.n_vocab == 128_256
    assert enc._pat_str == llama_reference.pat_str
    sp = get_tokenizer("mistral-v1")._sp  # type: ignore[attr-defined]
    assert sp.vocab_size() == mistral_reference.n_words == 32_000


def test_parser_equals_tiktoken_loader(monkeypatch) -> None:
    import tiktoken.load

    path = importlib.resources.files("llama_models") / "llama3" / "tokenizer.model"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # "" disables tiktoken's cache: no copy written
    assert tk._parse_tiktoken_bpe(path.read_bytes(), "test") == tiktoken.load.load_tiktoken_bpe(str(path))


def test_loading_is_offline(monkeypatch, tmp_path) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    cache = tmp_path / "tiktoken-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    get_tokenizer.cache_clear()  # type: ignore[attr-defined]
    try:
        assert count_tokens_family("llama3", ["hello world"]).tolist() == [2]
        assert count_tokens_family("mistral-v1", ["hello world"]).tolist() == [3]
    finally:
        get_tokenizer.cache_clear()  # type: ignore[attr-defined]
    assert not cache.exists()  # nothing was copied into tiktoken's download cache


def test_missing_package_is_dependency_error(monkeypatch) -> None:
    get_tokenizer.cache_clear()  # type: ignore[attr-defined]
    try:
        monkeypatch.setitem(sys.modules, "tiktoken", None)  # makes `import tiktoken` raise ImportError
        with pytest.raises(DependencyError, match="pip install tiktoken"):
            get_tokenizer("llama3")
        monkeypatch.setitem(sys.modules, "mistral_common", None)
        with pytest.raises(DependencyError, match="pip install mistral-common"):
            get_tokenizer("mistral-v1")
    finally:
        monkeypatch.undo()
        get_tokenizer.cache_clear()  # type: ignore[attr-defined]
    assert count_tokens_family("llama3", ["hello world"]).tolist() == [2]


def test_missing_file_is_dependency_error(monkeypatch) -> None:
    get_tokenizer.cache_clear()  # type: ignore[attr-defined]
    try:
        def load_missing_file():
            return tk._package_file("llama_models", ("nope.model",), "llama-models", "llama3")

        monkeypatch.setattr(tk, "_LOADERS", {**tk._LOADERS, "llama3": load_missing_file})
        with pytest.raises(DependencyError, match="pip install --force-reinstall llama-models"):
            get_tokenizer("llama3")
    finally:
        monkeypatch.undo()
        get_tokenizer.cache_clear()  # type: ignore[attr-defined]


# --- the byte bounds the budget rules rely on ----------------------------------------------------------

_ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
_WEIRD = st.lists(
    st.sampled_from(["ﷺ", "㍻", "ﬁ", "①", "𝔘", "😀", "\u0301", "\u00a0", "\u2003", " ", "\t", "\n", "a", "é",
                     "<|eot_id|>", "[INST]", "</s>", "▁", "\x00", "\uffff", "\U0010fffd"]),
    max_size=60,
).map("".join)


@pytest.mark.slow  # several seconds; CI runs it
@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.one_of(_ANY_TEXT, _WEIRD), min_size=1, max_size=10))
def test_token_counts_never_exceed_the_byte_bound(texts: list[str]) -> None:
    from prep.tokenizers import max_tokens

    lengths = np.array([len(t.encode("utf-8")) for t in texts])
    for family in FAMILIES:
        counts = get_tokenizer(family).count(texts)
        assert (counts <= max_tokens(family, lengths)).all(), (family, [t for t, c, b in zip(texts, counts, max_tokens(family, lengths)) if c > b])


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_byte_bound_holds_on_real_data(dataset: str) -> None:
    from prep.tokenizers import max_tokens

    if not DATA.is_dir():
        pytest.skip(f"shared data folder {DATA} is absent")
    texts = DATASETS[dataset]()
    lengths = np.array([len(t.encode("utf-8", "surrogatepass")) for t in texts])
    for family in FAMILIES:
        counts = get_tokenizer(family).count(texts)
        assert (counts <= max_tokens(family, lengths)).all(), (dataset, family)
    # the bound is tight enough to matter: the worst case is reached (single bytes) but typical text is far below
    assert get_tokenizer("llama3").count(["x"])[0] == max_tokens("llama3", np.array([1]))[0]
