"""Baselines and per-source-ignores."""

from __future__ import annotations

import json
import shutil

from tests.conftest import REPO

GOLDEN = REPO / "tests" / "data" / "golden.jsonl"


def test_baseline_then_one_bad_row_reports_exactly_that_row(tmp_path, run_cli):
    data = tmp_path / "data.jsonl"
    shutil.copy(GOLDEN, data)
    baseline = tmp_path / "baseline.json"
    code, out, _ = run_cli("lint", data, "--model", "llama3-8b", "--write-baseline", baseline)
    assert code == 0 and out == f"wrote {baseline}: 6 findings recorded\n"
    code, out, _ = run_cli("lint", data, "--model", "llama3-8b", "--baseline", baseline, "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []

    lines = data.read_text().splitlines()
    lines.insert(2, json.dumps({"prompt": "card 4111 1111 1111 1111 please", "completion": "ok"}))  # rows shift
    data.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli("lint", data, "--model", "llama3-8b", "--baseline", baseline, "--format", "json")
    document = json.loads(out)
    assert code == 1 and err == ""
    assert [(f["code"], f["row"]) for f in document["findings"]] == [("PI001", 2)]
    assert document["summary"]["notes"]["baseline"] == {
        "text": f"6 findings in {baseline} not reported; 0 baseline entries no longer match",
        "suppressed": 6,
        "stale": 0,
    }


def test_stale_baseline_entries_are_warned_about(tmp_path, run_cli):
    data = tmp_path / "data.jsonl"
    shutil.copy(GOLDEN, data)
    baseline = tmp_path / "baseline.json"
    run_cli("lint", data, "--model", "llama3-8b", "--write-baseline", baseline)
    lines = [line for line in data.read_text().splitlines() if "ann.lee" not in line]  # the PII row is fixed
    data.write_text("\n".join(lines) + "\n")
    code, _, err = run_cli("lint", data, "--model", "llama3-8b", "--baseline", baseline)
    assert code == 0
    assert err.startswith("prep: warning: 1 baseline entry no longer matches (fixed, or the row changed): PI001")
    assert ":None" not in err and err.rstrip().endswith("record 3")  # 1-based, as locations are


def test_bad_baseline_files_are_one_line_errors(tmp_path, run_cli):
    code, _, err = run_cli("lint", GOLDEN, "--model", "llama3-8b", "--write-baseline", tmp_path / "no" / "b.json")
    assert code == 2 and "cannot write the baseline" in err and err.count("\n") == 1
    (tmp_path / "b.json").write_text("[1, 2]")
    for path, message in ((tmp_path / "none.json", "baseline file not found"), (tmp_path / "b.json", "not a prep baseline")):
        code, _, err = run_cli("lint", GOLDEN, "--model", "llama3-8b", "--baseline", path)
        assert code == 2 and message in err and err.count("\n") == 1


def test_per_source_ignores(tmp_path, run_cli):
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    shutil.copy(GOLDEN, legacy / "old.jsonl")
    config = tmp_path / "prep.toml"
    config.write_text('[per-source-ignores]\n"*/legacy/*.jsonl" = ["DU", "pii-detected"]\n')
    code, out, _ = run_cli("lint", legacy / "old.jsonl", "--model", "llama3-8b", "--config", config, "--format", "json")
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert codes and not codes & {"DU001", "DU002", "DU003", "PI001"} and "SC003" in codes
    config.write_text('[per-source-ignores]\n"*.jsonl" = ["XX9"]\n')
    code, _, err = run_cli("lint", legacy / "old.jsonl", "--model", "llama3-8b", "--config", config)
    assert code == 2 and "per-source-ignores.\"*.jsonl\": select: unknown rule or prefix 'XX9'" in err
