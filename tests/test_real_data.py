"""The rules on the real public datasets in ../shared/data (skipped when it is absent)."""

from __future__ import annotations

import csv

import polars as pl

import prep
from prep.config import Settings
from tests.conftest import SAMPLE, shared

ALL = Settings(models=("all",))


def codes(result, code):
    return [f for f in result.findings if f.code == code]


def test_alpaca_demo_has_14_exact_duplicate_rows():
    frame = pl.read_json(shared("alpaca_demo/alpaca_en_demo.json"))
    frame = frame.select(
        pl.concat_str("instruction", "input", separator="\n").str.strip_chars().alias("prompt"),
        pl.col("output").alias("completion"),
    )
    result = prep.lint(frame, settings=ALL)
    dupes = codes(result, "DU001")
    assert len(dupes) == 14  # as SOURCE.md counts: 13 pairs and one triple
    assert sorted(f.data["group_size"] for f in dupes).count(3) == 2
    assert all(f.data["kept_row"] < f.row for f in dupes)


def test_support_tickets_repeated_requests_and_mapping():
    path = shared("support_tickets/support_tickets.csv")
    settings = Settings(models=("mistral-7b",), prompt_col="request", completion_col="service_type")
    result = prep.lint(path, settings=settings)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs = [(r["REQUEST"].strip(), r["SERVICE_TYPE"]) for r in rows]
    expected_dupes = len(pairs) - len(set(pairs))
    assert len(codes(result, "DU001")) == expected_dupes > 0
    # The same request text under different service types is label noise.
    by_request: dict[str, set] = {}
    for request, service in pairs:
        by_request.setdefault(request, set()).add(service)
    assert bool(codes(result, "DU003")) == any(len(s) > 1 for s in by_request.values())
    assert not codes(result, "SC001")
    assert result.fits[0].rows == 151


def test_dbpedia_is_clean_except_its_rare_class():
    result = prep.lint(shared("openai_cookbook/dbpedia_samples_prompt_completion.jsonl"), settings=ALL)
    assert [(f.code, f.data["label"], f.data["count"]) for f in result.findings] == [("LB002", "MeanOfTransportation", 8)]
    assert "is label-like: 14 distinct short completions in 200 rows" in result.notes["labels"]["text"]
    assert all(fit.fits for fit in result.fits)


def test_toy_chat_findings():
    path = shared("openai_cookbook/toy_chat_fine_tuning.jsonl")
    result = prep.lint(path, settings=ALL)
    assert [f.row for f in codes(result, "SC005")] == [1, 3]
    over = codes(result, "TK002")
    assert {f.data["model"] for f in over} == {m.name for m in result.models}
    assert {f.row for f in over} == {4}
    reply = result.sources[0].frame.filter(pl.col("row") == 4)["completion"].item()
    for finding in over:
        assert [finding.data["tokens"]] == prep.count_tokens(finding.data["model"], [reply])


def test_bundled_sample_shows_each_kind_of_problem():
    result = prep.lint(SAMPLE, settings=ALL)
    found = {f.code for f in result.findings}
    assert {"IO001", "TK001", "TX001", "TX002", "SC003", "DU001", "DU002", "DU003", "PI001", "LB001"} <= found
    skew = next(f for f in result.findings if f.code == "LB001")
    assert (skew.data["largest"], skew.data["smallest"]) == ("Roaming fees", "Slow data speed")
    assert result.exit_code == 1
    assert [fit.fits for fit in result.fits] == [False, False, True, False, True, True]
