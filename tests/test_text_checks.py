"""TX001's quoted-printable and HTML-entity residue, TX003 and TX004: measures, and figures on ../shared/data
(those tests skip cleanly when it is absent)."""

from __future__ import annotations

import csv
import json

import polars as pl
import pytest

pytestmark = pytest.mark.slow  # labelled sets and ../shared scans: CI runs them, the quick run skips them

import prep
from prep.measures.flags import encoding_flags, missing_context, template_variables
from tests.conftest import shared

SETTINGS = prep.Settings(select=("TX",), models=("llama3-8b",))


def rows_of(texts: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"row": pl.Series(range(len(texts)), dtype=pl.Int64), "text": texts})


def lint(prompts: list[str], completions: list[str] | None = None, code: str = "TX"):
    frame = pl.DataFrame({"prompt": prompts, "completion": completions or ["x"] * len(prompts)})
    return [f for f in prep.lint(frame, settings=SETTINGS).findings if f.code.startswith(code)]


def shared_datasets():
    """Every dataset of ../shared/data as (name, prompts, completions)."""
    alpaca = json.loads(shared("alpaca_demo/alpaca_en_demo.json").read_text(encoding="utf-8"))
    yield "alpaca_demo", [(r["instruction"] + "\n" + r["input"]).strip() for r in alpaca], [r["output"] for r in alpaca]
    tool = json.loads(shared("gpteacher_toolformer/toolformer-dedupe-only-dataset.json").read_text(encoding="utf-8"))
    yield "toolformer", [(r["instruction"] + "\n" + r["input"]).strip() for r in tool], [r["response"] for r in tool]
    for name in ("clinc150/clinc150_train.jsonl", "clinc150/clinc150_val.jsonl", "mbpp/mbpp_prompt_completion.jsonl",
                 "openai_cookbook/dbpedia_samples_prompt_completion.jsonl"):
        frame = pl.read_ndjson(shared(name))
        yield name, frame["prompt"].to_list(), frame["completion"].to_list()
    raw = [json.loads(line) for line in shared("mbpp/mbpp.jsonl").read_text(encoding="utf-8").splitlines()]
    yield "mbpp raw", [r["text"] for r in raw], [r["code"] + "\n" + "\n".join(r["test_list"]) for r in raw]
    pii = json.loads(shared("pii_small/generated_small.json").read_text(encoding="utf-8"))
    yield "pii_small", [r["full_text"] for r in pii], ["x"] * len(pii)
    with open(shared("support_tickets/support_tickets.csv"), newline="", encoding="utf-8") as handle:
        tickets = list(csv.DictReader(handle))
    yield "support_tickets", [r["REQUEST"] for r in tickets], [r["SERVICE_TYPE"] for r in tickets]


# --- TX001: quoted-printable and HTML entities ------------------------------------------------------------------

def test_tx001_quoted_printable_needs_shapes_code_does_not_make():
    texts = ["x=20\nn=10", "a==b and c=3D", "total =\n  1", "if x=1F:", "Caf=C3=A9", "line=\nwrapped=\nagain",
             "one=\nbreak and =3D", "href=3D\"a\" only"]
    flagged = encoding_flags(rows_of(texts))
    assert flagged["row"].to_list() == [4, 5, 6]
    assert flagged["qp_escapes"].to_list() == [2, 0, 1] and flagged["qp_soft_breaks"].to_list() == [0, 2, 1]


def test_tx001_entities_are_real_and_outside_markup():
    texts = ["AT&T", "R&D; and &foo;", "a && b", "Tom &amp; Jerry", "&#39;x&#x27;", "<b>&amp;</b>", "&AMP;"]
    flagged = encoding_flags(rows_of(texts))
    assert flagged["row"].to_list() == [3, 4] and flagged["html_entities"].to_list() == [1, 2]


def test_tx001_no_residue_reported_on_shared_data():
    for name, prompts, completions in shared_datasets():
        found = [f for f in lint(prompts, completions, "TX001")
                 if f.data["quoted_printable"] or f.data["html_entities"]]
        assert found == [], name


# --- TX003 --------------------------------------------------------------------------------------------------------

def test_tx003_variables_and_what_is_not_one():
    texts = ["I have {product_purchased}, {{ name }} and ${var} for <FIRST_NAME>.",
             "[NAME] <EMAIL> <PERSON> <BR> <EOS> List<ITEM> \\frac{a}{b} x^{n} {\"a\": 1} {0} {}",
             "print(f\"{name}\")", "s = {name}", "const s = `${name}`"]
    got = template_variables(rows_of(texts))
    assert got.to_dicts() == [{"row": 0, "variables": ["{product_purchased}", "{{name}}", "${var}", "<FIRST_NAME>"]}]


def test_tx003_one_finding_per_variable_over_both_fields():
    prompts = [f"My {{product_purchased}} number {i} broke" for i in range(30)] + ["plain"] * 70
    completions = ["Dear {{name}}, sorry"] * 12 + ["ok"] * 88
    found = lint(prompts, completions, "TX003")
    assert [(f.data["variable"], f.data["rows"], f.data["fields"]) for f in found] == [
        ("{product_purchased}", 30, {"prompt": 30}), ("{{name}}", 12, {"completion": 12})]
    assert found[0].row is None and found[0].data["example_rows"] == [0, 1, 2, 3, 4]


def test_tx003_threshold_is_rows_and_share():
    prompts = [f"My {{product}} {i}" for i in range(10)] + ["plain"] * 990  # 10 rows but 1% of 1,000: reported
    assert len(lint(prompts, code="TX003")) == 1
    prompts = [f"My {{product}} {i}" for i in range(10)] + ["plain"] * 1990  # 0.5%: not reported
    assert lint(prompts, code="TX003") == []


def test_tx003_on_shared_data():
    for name, prompts, completions in shared_datasets():
        assert lint(prompts, completions, "TX003") == [], name
        # With no threshold, only toolformer's real leftover: "search('{input}')" in 4 generated completions.
        frame = pl.DataFrame({"prompt": prompts, "completion": completions})
        settings = prep.Settings(select=("TX003",), models=("llama3-8b",),
                                 rules={"TX003": {"min-rows": 1, "min-share": 0.0}})
        found = [(f.data["variable"], f.data["rows"]) for f in prep.lint(frame, settings=settings).findings]
        assert found == ([("{input}", 4)] if name == "toolformer" else []), name
    masked = [r["masked"] for r in json.loads(shared("pii_small/generated_small.json").read_text(encoding="utf-8"))]
    found = lint(masked, code="TX003")
    counts = {f.data["variable"]: f.data["rows"] for f in found}
    assert len(found) == 6 and counts["{{first_name}}"] == 18 and counts["{{city}}"] == 17


# --- TX004 --------------------------------------------------------------------------------------------------------

def test_tx004_measure_location_and_directions():
    texts = ["Summarize the following article.", "Fix the code below", "Is the statement above true?",
             "Rewrite this sentence.", "Summarize the following article:\nText here.", "the following day off"]
    got = missing_context(rows_of(texts), 12)
    assert got.select("row", "reference", "start", "direction").rows() == [
        (0, "the following article", 10, "forward"), (1, "the code below", 4, "forward"),
        (2, "the statement above", 3, "backward"), (3, "this sentence", 8, "either")]


def test_tx004_alpaca_without_its_input_column():
    alpaca = json.loads(shared("alpaca_demo/alpaca_en_demo.json").read_text(encoding="utf-8"))
    had_input = [bool(r["input"].strip()) for r in alpaca]
    dropped = lint([r["instruction"] for r in alpaca], code="TX004")
    assert len(dropped) == 111 and sum(had_input[f.row] for f in dropped) == 108
    kept = lint([(r["instruction"] + "\n" + r["input"]).strip() for r in alpaca], code="TX004")
    assert [f.row for f in kept] == [563, 576, 975] and not any(had_input[f.row] for f in kept)


def test_tx004_on_other_shared_data():
    for name, prompts, completions in shared_datasets():
        if name != "alpaca_demo":
            assert lint(prompts, completions, "TX004") == [], name


@pytest.mark.parametrize("code", ["TX003", "TX004"])
def test_rules_are_registered(code):
    assert code in {r.code for r in prep.engine.pack.all_rules()}
