"""Rows built at budget - 1, budget and budget + 1 tokens (after the margin), per catalog model."""

from __future__ import annotations

import pytest

import prep
from prep.catalog import load_catalog
from prep.config import Settings

CATALOG = load_catalog()


def text_of(model: str, tokens: int) -> str:
    """'a a a ...' is one token per 'a' in both tokenizer families; checked, not assumed."""
    text = " ".join(["a"] * tokens)
    assert prep.count_tokens(model, [text]) == [tokens]
    return text


@pytest.mark.parametrize("model", list(CATALOG))
@pytest.mark.parametrize("margin", [0, 16])
def test_budget_boundaries(tmp_path, model, margin):
    spec = CATALOG[model]
    rows = []
    for field, budget in (("prompt", spec.prompt_budget), ("completion", spec.completion_budget)):
        for delta in (-1, 0, 1):
            text = text_of(model, budget - margin + delta)
            other = "short"
            rows.append({"prompt": text, "completion": other} if field == "prompt" else {"prompt": other, "completion": text})
    frame = __import__("polars").DataFrame(rows)
    settings = Settings(models=(model,), margin=margin, select=("TK",))
    result = prep.lint(frame, settings=settings)
    flagged = {(f.row, f.code) for f in result.findings}
    # Rows 0-2 test the prompt, rows 3-5 the completion; only the +1 rows are over.
    assert flagged == {(2, "TK001"), (5, "TK002")}
    for finding in result.findings:
        assert finding.data["cut"] == 1
        assert finding.data["tokens"] + margin == finding.data["budget"] + 1
        assert finding.data["model"] == model
    fit = result.fits[0]
    assert (fit.rows_over_prompt, fit.rows_over_completion, fit.tokens_cut) == (1, 1, 2)


def test_catalog_numbers_use_k_1024():
    assert CATALOG["llama3-8b"].prompt_budget + CATALOG["llama3-8b"].completion_budget == 8 * 1024
    assert CATALOG["mistral-7b"].prompt_budget == 28 * 1024
    assert CATALOG["llama3.1-8b"].prompt_budget == 20 * 1024
    assert {m.tokenizer for m in CATALOG.values()} == {"llama3", "mistral-v1"}
    assert len(CATALOG) == 6


def test_no_tokenizer_is_loaded_when_no_row_could_exceed_a_budget(tmp_path):
    """Loading a tokenizer costs a second; short rows are within every budget by their byte bound alone."""
    import subprocess
    import sys

    from tests.conftest import REPO, write_jsonl

    path = write_jsonl(tmp_path / "short.jsonl", [{"prompt": "hello there", "completion": "hi"}])
    code = ("import sys, prep, prep.tokenizers as t; prep.lint(sys.argv[1], models=['all'], "
            "settings=prep.Settings(select=('TK',))); print(sorted(t._CACHE))")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"
