"""procs/udfs.py: the vectorized UDF handlers, called the way Snowflake calls them (one batch as a pandas DataFrame
whose columns 0, 1, ... are the arguments), against the local engine on the same rows."""

from __future__ import annotations

import csv
import json
import re

import pytest

pd = pytest.importorskip("pandas")

import prep  # noqa: E402
from prep.catalog import load_catalog  # noqa: E402
from prep.measures.flags import MOJIBAKE  # noqa: E402
from prep.procs import udfs  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402

MODELS = sorted(load_catalog(None))


def _strings(value, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _strings(v, out)
    elif isinstance(value, list):
        for v in value:
            _strings(v, out)


def real_texts(per_file: int | None) -> list[str]:
    """Every string value of every record of ../shared/data's JSON, JSONL and CSV files (the first ``per_file`` of
    each when given), distinct, in a fixed order."""
    if not SHARED_DATA.is_dir():
        pytest.skip("needs ../shared/data")
    texts: list[str] = []
    for path in sorted(SHARED_DATA.rglob("*")):
        found: list[str] = []
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    _strings(json.loads(line), found)
        elif path.suffix == ".json":
            _strings(json.loads(path.read_text(encoding="utf-8")), found)
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.reader(f):
                    found.extend(row)
        texts.extend(found[:per_file] if per_file else found)
    return list(dict.fromkeys(texts))


def batch(models: list, texts: list) -> pd.DataFrame:
    # Snowflake's batch: the arguments as columns 0 and 1, NULLs as None
    return pd.DataFrame({0: pd.Series(models, dtype=object), 1: pd.Series(texts, dtype=object)})


def check_against_engine(texts: list[str]) -> int:
    """Every model's counts in one batch of interleaved rows, against prep.count_tokens per model."""
    expected = {m: prep.count_tokens(m, texts) for m in MODELS}
    models = [MODELS[i % len(MODELS)] for i in range(len(texts) * len(MODELS))]
    rows = [texts[i // len(MODELS)] for i in range(len(models))]
    got = udfs.token_count(batch(models, rows))
    assert isinstance(got, pd.Series) and len(got) == len(rows)
    assert got.tolist() == [expected[m][i // len(MODELS)] for i, m in enumerate(models)]
    return len(rows)


def test_the_handlers_are_marked_vectorized_for_snowflake_with_a_batch_cap():
    for handler in (udfs.token_count, udfs.pii, udfs.text_flags):
        assert handler._sf_vectorized_input is pd.DataFrame
        assert handler._sf_max_batch_size == udfs.MAX_BATCH_ROWS == 4096


def test_token_count_equals_prep_count_tokens_on_a_sample_of_every_real_dataset():
    texts = real_texts(per_file=150)
    assert len(texts) > 1000
    check_against_engine(texts)


@pytest.mark.slow
def test_token_count_equals_prep_count_tokens_on_every_string_of_the_real_datasets():
    check_against_engine(real_texts(per_file=None))


def test_token_count_nulls_give_nulls_and_keep_their_place():
    got = udfs.token_count(batch(["llama3-8b", None, "mistral-7b", "llama3-8b"], ["hello world", "x", None, ""]))
    assert got.isna().tolist() == [False, True, True, False]
    assert got[0] == prep.count_tokens("llama3-8b", ["hello world"])[0]
    assert got[3] == 0


def test_token_count_keeps_the_batch_index():
    frame = batch(["llama3-8b", "mistral-7b"], ["a b c", "a b c"])
    frame.index = [7, 3]
    got = udfs.token_count(frame)
    assert got.index.tolist() == [7, 3]
    assert got.tolist() == [prep.count_tokens("llama3-8b", ["a b c"])[0], prep.count_tokens("mistral-7b", ["a b c"])[0]]


def test_token_count_names_an_unknown_model():
    with pytest.raises(ValueError, match=r"unknown base model 'llama3-8B'.*llama3-8b"):
        udfs.token_count(batch(["llama3-8b", "llama3-8B"], ["a", "b"]))


def test_token_count_of_an_empty_batch():
    assert udfs.token_count(batch([], [])).tolist() == []


# --- PREP_PII -------------------------------------------------------------------------------------------------------

def lint_spans(texts: list[str]) -> list[list[dict]]:
    """PI001's spans per text from prep lint (texts as prompts, default options)."""
    import polars as pl

    frame = pl.DataFrame({"prompt": texts, "completion": ["x"] * len(texts)})
    result = prep.lint(frame, settings=prep.Settings(select=("PI001",)), models=["llama3-8b"])
    spans: list[list[dict]] = [[] for _ in texts]
    for finding in result.findings:
        if finding.code == "PI001" and finding.field == "prompt":
            spans[finding.row] = finding.data["spans"]  # row: the 0-based record index
    return spans


def pii_texts() -> list[str]:
    path = SHARED_DATA / "pii_small" / "generated_small.json"
    if not path.exists():
        pytest.skip("needs ../shared/data/pii_small")
    texts: list[str] = []
    _strings(json.loads(path.read_text(encoding="utf-8")), texts)
    # real text with and without PII, a placeholder, and text over the scanned length
    texts += real_texts(per_file=40)[:400]
    texts += ["mail [EMAIL] or <PHONE>", "x " * 40_000 + "bob@acme-mail.com"]
    return list(dict.fromkeys(t for t in texts if t.strip()))


def test_pii_equals_the_lint_findings_on_real_rows_with_and_without_pii():
    texts = pii_texts()
    expected = lint_spans(texts)
    assert sum(1 for s in expected if s) >= 50  # the comparison covers many detections
    got = udfs.pii(batch_of(texts))
    assert got.tolist() == expected


def test_pii_nulls_give_nulls_and_values_are_masked():
    got = udfs.pii(batch_of([None, "write to alice.smith@acme-mail.com", ""]))
    assert got[0] is None and got[2] == []
    (detection,) = got[1]
    assert detection["entity"] == "EMAIL_ADDRESS" and "alice.smith" not in str(got.tolist())
    assert udfs.pii._sf_vectorized_input is pd.DataFrame


def batch_of(texts: list) -> pd.DataFrame:
    return pd.DataFrame({0: pd.Series(texts, dtype=object)})


# --- PREP_TEXT_FLAGS ------------------------------------------------------------------------------------------------

def lint_flags(texts: list[str]) -> list[dict]:
    """The per-text rules' (TX001, TX002) findings per text, as PREP_TEXT_FLAGS gives them (texts as prompts)."""
    import polars as pl

    frame = pl.DataFrame({"prompt": texts, "completion": ["x"] * len(texts)})
    result = prep.lint(frame, settings=prep.Settings(select=("TX001", "TX002")), models=["llama3-8b"])
    flags = [{"replacement_characters": 0, "control_characters": 0, "mojibake": None, "quoted_printable": 0,
              "html_entities": 0, "template_tokens": {}} for _ in texts]
    for finding in result.findings:
        if finding.field != "prompt":
            continue
        if finding.code == "TX002":
            flags[finding.row]["template_tokens"] = finding.data["tokens"]
        else:
            flags[finding.row].update(replacement_characters=finding.data["replacement_characters"],
                                      control_characters=finding.data["control_characters"],
                                      mojibake=finding.data["mojibake"],
                                      quoted_printable=finding.data["quoted_printable"],
                                      html_entities=finding.data["html_entities"])
    return flags


def test_text_flags_equal_the_lint_findings_on_real_and_damaged_rows():
    clean = real_texts(per_file=60)[:600]
    damaged = [
        "I\u00e2\u20ac\u2122m being charged", "caf\u00c3\u00a9 au lait", "bad \ufffd\ufffd bytes", "bell\x07 and \x9b",
        "<|start_header_id|>user<|end_header_id|>hi<|eot_id|>", "[INST] a [/INST] b </s> [INST] c [/INST]",
        "\u00c2\u00a35 is fine in Latin-1 but not here", "Se\u00c3\u00b1or \ufffd <s>", "plain \u00e9t\u00e9 text",
        "control\x00 and " + "\u00c3\u00a9" * 5,
        "caf\u00e9\u2014good",  # the mojibake prefilter matches (é then an em dash); ftfy says it is fine
        "Caf=C3=A9 is=\nopen", "x=20 and n=10", "Tom &amp; Jerry&#39;s", "<p>&copy; 2024</p>",
    ]
    texts = list(dict.fromkeys(clean + damaged))
    expected = lint_flags(texts)
    assert sum(1 for f in expected if f["mojibake"]) >= 3 and sum(1 for f in expected if f["template_tokens"]) >= 2
    assert sum(1 for f in expected if f["quoted_printable"]) == 1 and sum(1 for f in expected if f["html_entities"]) == 1
    got = udfs.text_flags(batch_of(texts)).tolist()
    assert got == expected
    assert re.search(MOJIBAKE, "caf\u00e9\u2014good") and got[texts.index("caf\u00e9\u2014good")]["mojibake"] is None


def test_text_flags_null_gives_null():
    got = udfs.text_flags(batch_of([None, "ok"]))
    assert got[0] is None and got[1]["template_tokens"] == {} and udfs.text_flags._sf_vectorized_input is pd.DataFrame
