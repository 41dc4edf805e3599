"""Label detection and near duplicates on real data (issue 17); skipped when ../shared/data is absent."""

from __future__ import annotations

import json

import polars as pl
import pytest

import prep
from prep.config import LabelSettings, Settings
from prep.measures.labels import stats
from tests.conftest import SAMPLE, shared

pytestmark = pytest.mark.slow  # real datasets and hundreds of rows: CI runs them, the quick run skips them

ONE = Settings(models=("llama3-8b",))


def _pairs(path) -> pl.DataFrame:
    records = [json.loads(line) for line in open(path, encoding="utf-8")]
    return pl.DataFrame({"row": list(range(len(records))), "prompt": [r["prompt"] for r in records],
                         "completion": [r["completion"] for r in records]})


def test_clinc150_with_151_intents_is_label_like():
    found = stats(_pairs(shared("clinc150/clinc150_train.jsonl")), LabelSettings())
    assert found.label_like, found.reason
    assert len(found.counts) == 151


def test_code_and_instruction_data_are_not_label_like():
    assert not stats(_pairs(shared("mbpp/mbpp_prompt_completion.jsonl")), LabelSettings()).label_like
    alpaca = pl.read_json(shared("alpaca_demo/alpaca_en_demo.json"))
    alpaca = alpaca.select(pl.int_range(pl.len()).alias("row"), pl.col("instruction").alias("prompt"),
                           pl.col("output").alias("completion"))
    assert not stats(alpaca, LabelSettings()).label_like
    records = json.loads(shared("gpteacher_toolformer/toolformer-dedupe-only-dataset.json").read_text())
    tool = pl.DataFrame({"row": list(range(len(records))), "prompt": [r["instruction"] for r in records],
                         "completion": [r["response"] for r in records]})
    assert not stats(tool, LabelSettings()).label_like


def test_clinc150_leaks_compare_prompts_only():
    """On label-like data a validation row does not leak through its label's words: every LK001 finding's prompts
    alone reach the threshold, and the finding says whether the label is the same."""
    result = prep.lint(shared("clinc150/clinc150_train.jsonl"), validation=shared("clinc150/clinc150_val.jsonl"),
                       settings=ONE.with_overrides(select=("LK001",)))
    leaks = [f for f in result.findings if f.code == "LK001"]
    assert leaks and len(leaks) < 568  # 568 before, comparing prompt + label
    assert all(f.data["compared"] == "prompt" for f in leaks)
    assert all("same_label" in f.data for f in leaks)


def test_bundled_sample_clusters_keep_members_near_the_kept_row():
    """No row is marked a near duplicate of a kept row it is far from (chains no longer drop unrelated rows)."""
    result = prep.lint(SAMPLE, settings=ONE.with_overrides(select=("DU002",)))
    near = [f for f in result.findings if f.code == "DU002" and not f.data["suspicious"]]
    assert near
    assert all(f.data["similarity_to_kept"] >= 0.6 for f in near)
