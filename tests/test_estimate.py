"""prep estimate: token totals agree with prep.count_tokens, the table, the cheapest fit, epochs and rates."""

from __future__ import annotations

import json

import polars as pl

import prep
from prep.config import Settings
from prep.estimate import estimate
from tests.conftest import SAMPLE, shared, write_jsonl


def test_token_totals_agree_with_count_tokens_on_real_data():
    path = shared("openai_cookbook/dbpedia_samples_prompt_completion.jsonl")
    frame = pl.read_ndjson(path)
    result = estimate(path, models=["all"])
    assert len(result.estimates) == 6
    for e in result.estimates:
        prompts = sum(prep.count_tokens(e.model.name, frame["prompt"].to_list()))
        completions = sum(prep.count_tokens(e.model.name, frame["completion"].to_list()))
        assert (e.prompt_tokens, e.completion_tokens) == (prompts, completions), e.model.name
        assert e.trained_tokens == (prompts + completions) * 3
        assert e.credits == e.trained_tokens / 1e6 * e.model.credits_per_million_tokens > 0


def test_cli_prints_a_table_per_model_and_the_cheapest_fit(run_cli):
    code, out, _ = run_cli("estimate", SAMPLE, "--model", "all", "--epochs", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split()[:4] == ["model", "rows", "input", "tokens"]
    table = {line.split()[0]: line.split() for line in lines[2:8]}
    assert set(table) == {"llama3-8b", "llama3-70b", "llama3.1-8b", "llama3.1-70b", "mistral-7b", "mixtral-8x7b"}
    assert table["llama3-8b"][-1] == "NO" and table["llama3-8b"][-2] == "1"  # the over-long transcript
    assert table["mistral-7b"][-1] == "yes"
    assert "cheapest model that fits without truncation: mistral-7b" in out
    assert "Credits are estimates" in out


def test_json_and_epochs_and_row_limit(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": f"question {i}", "completion": "yes"} for i in range(5000)])
    code, out, _ = run_cli("estimate", path, "--model", "llama3.1-70b", "--epochs", "3", "--format", "json")
    assert code == 0
    data = json.loads(out)
    (model,) = data["models"]
    assert model["max_epochs"] == 2  # 13,500 rows at 1 epoch / 5,000 rows
    assert model["row_limit"] == 4500 and model["fits"] is False
    assert data["cheapest_fit"] is None and data["rates_are_estimates"] is True


def test_rates_come_from_the_catalog_and_can_be_overridden(tmp_path, run_cli):
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "hello there", "completion": "yes"}] * 10)
    (tmp_path / "prep.toml").write_text('[catalog.mistral-7b]\ncredits-per-million-tokens = 1000000\n', encoding="utf-8")
    result = estimate(path, settings=prep_settings(tmp_path / "prep.toml"), models=["mistral-7b"])
    (e,) = result.estimates
    assert e.rate == 1_000_000 and e.credits == e.trained_tokens
    (tmp_path / "bad.toml").write_text('[catalog.mistral-7b]\ncredits-per-million-tokens = -1\n', encoding="utf-8")
    code, _, err = run_cli("estimate", path, "--model", "mistral-7b", "--config", tmp_path / "bad.toml")
    assert code == 2 and "must be a non-negative number" in err


def prep_settings(path):
    from prep.config import load_file

    return load_file(path)


def test_empty_input_estimates_nothing(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("", encoding="utf-8")
    (e,) = estimate(path, settings=Settings(models=("llama3-8b",))).estimates
    assert (e.rows, e.input_tokens, e.fits) == (0, 0, False)
