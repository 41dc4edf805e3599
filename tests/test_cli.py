"""The CLI through its real entry point: exit codes, output formats, flags, config and errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SAMPLE, write_jsonl

GOOD = [{"prompt": f"Question number {i}?", "completion": f"Answer {i}."} for i in range(120)]


@pytest.fixture
def good(tmp_path):
    return write_jsonl(tmp_path / "good.jsonl", GOOD)


@pytest.fixture
def bad(tmp_path):
    return write_jsonl(tmp_path / "bad.jsonl", GOOD + [{"prompt": "x", "completion": ""}])


def test_clean_file_exits_0(run_cli, good):
    code, out, err = run_cli("lint", good, "--model", "llama3-8b")
    assert code == 0, out + err
    assert "0 errors, 0 warnings, 0 info in 120 rows of 1 source" in out


def test_error_findings_exit_1_with_one_line_each(run_cli, bad):
    code, out, _ = run_cli("lint", bad, "--model", "llama3-8b")
    assert code == 1
    assert f"{bad}:121: SC003 empty-value completion is empty" in out.splitlines()  # 1-based line, row 120


def test_warnings_alone_exit_0(run_cli, tmp_path):
    path = write_jsonl(tmp_path / "dup.jsonl", GOOD + [GOOD[0]])
    code, out, _ = run_cli("lint", path, "--model", "llama3-8b")
    assert code == 0
    assert f"{path}:121: DU001 exact-duplicate exact duplicate of line 1 (kept" in out


def test_json_output_is_stable(run_cli, bad):
    code, out, _ = run_cli("lint", bad, "--model", "all", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert list(doc) == ["schema_version", "sources", "models", "findings", "summary"]
    assert doc["schema_version"] == 1
    assert [m["name"] for m in doc["models"]] == [
        "llama3-8b", "llama3-70b", "llama3.1-8b", "llama3.1-70b", "mistral-7b", "mixtral-8x7b"
    ]
    assert doc["findings"] == [
        {
            "code": "SC003",
            "name": "empty-value",
            "severity": "error",
            "message": "completion is empty",
            "source": str(bad),
            "row": 120,
            "line": 121,
            "field": "completion",
            "data": {"length": 0},
        }
    ]
    assert doc["summary"]["errors"] == 1
    assert doc["sources"][0]["rows"] == 121


def test_validation_findings_name_their_source(run_cli, good, tmp_path):
    validation = write_jsonl(tmp_path / "val.jsonl", [{"prompt": "q", "completion": None}])
    code, out, _ = run_cli("lint", good, "--validation", validation, "--model", "llama3-8b", "--format", "json")
    findings = json.loads(out)["findings"]
    assert code == 1
    assert [(f["code"], f["source"], f["row"]) for f in findings] == [("SC002", str(validation), 0)]


def test_select_and_ignore(run_cli, bad, tmp_path):
    code, out, _ = run_cli("lint", bad, "--model", "llama3-8b", "--ignore", "SC", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    code, out, _ = run_cli("lint", bad, "--model", "llama3-8b", "--select", "TK,empty-value", "--format", "json")
    assert code == 1
    assert json.loads(out)["summary"]["rules"] == ["SC003", "TK001", "TK002"]


def test_many_models_end_with_a_fit_table(run_cli):
    code, out, _ = run_cli("lint", SAMPLE, "--model", "all")
    assert code == 1
    table = out[out.index("Fit of the training data"):]
    assert "llama3-8b     1            0" in table
    assert "mistral-7b    0            0                0           " in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lint", "nope.jsonl", "--model", "llama3-8b"], "nope.jsonl: no such file"),
        (["lint", "{sample}", "--model", "llama3-9b"], "unknown base model 'llama3-9b' (did you mean 'llama3-8b'?)"),
        (["lint", "{sample}"], "no base model given"),
        (["lint", "{sample}", "--model", "llama3-8b", "--select", "TK009"], "--select: unknown rule or prefix 'TK009'"),
        (["lint", "{sample}", "--model", "llama3-8b", "--epochs", "0"], "--epochs"),
        (["lint", "{sample}", "--model", "llama3-8b", "--margin", "-1"], "--margin"),
        (["lint", "{sample}", "--model", "llama3-8b", "--format", "xml"], "--format"),
        (["lint", "{sample}", "--model", "llama3-8b", "--bogus"], "No such option '--bogus'; try 'prep lint -h' for help"),
        (["lint", "{sample}", "--model", "llama3-8b", "--config", "missing.toml"], "missing.toml: config file not found"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(run_cli, args, message):
    code, out, err = run_cli(*[a.replace("{sample}", str(SAMPLE)) for a in args])
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("prep: error: ") and message in err


def test_config_file_and_overrides(run_cli, tmp_path, bad):
    config = tmp_path / "prep.toml"
    config.write_text(
        'model = ["llama3-8b"]\nignore = ["SZ003"]\n[severity]\nempty-value = "warning"\n', encoding="utf-8"
    )
    code, out, _ = run_cli("lint", bad, "--config", config, "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert [(f["code"], f["severity"]) for f in doc["findings"]] == [("SC003", "warning")]
    # CLI flags override the file.
    code, out, _ = run_cli("lint", bad, "--config", config, "--model", "mistral-7b", "--format", "json")
    assert [m["name"] for m in json.loads(out)["models"]] == ["mistral-7b"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('modle = ["llama3-8b"]\n', "unknown key 'modle' (did you mean 'model'?)"),
        ('model = ["llama3-8b"]\n[rules.too-few-row]\nmin-rows = 3\n', "unknown rule 'too-few-row' (did you mean 'too-few-rows'?)"),
        ('model = ["llama3-8b"]\n[rules.SZ003]\nmin-row = 3\n', "unknown option 'min-row' for SZ003 (too-few-rows) (did you mean 'min-rows'?)"),
        ('model = ["llama3-8b"]\n[rules.SZ003]\nmin-rows = "3"\n', "option 'min-rows' of SZ003 must be an integer"),
        ('model = ["llama3-8b"]\n[severity]\nSC003 = "fatal"\n', "unknown severity 'fatal'"),
        ('model = ["llama3-8b"]\nepochs = 11\n', "epochs must be an integer from 1 to 10"),
        ('model = ["llama3-8b"]\n[catalog.llama3-8b]\nprompt-budge = 10\n', "unknown key 'prompt-budge' for model 'llama3-8b' (did you mean 'prompt-budget'?)"),
        ('model = ["x"]\n[catalog.x]\nprompt-budget = 10\n', "model 'x' is missing"),
        ("model = [\n", "invalid TOML"),
        ('model = ["llama3-8b"]\n[rules.DU002]\nthreshold = 1.5\n', "DU002 (near-duplicate): threshold must be in (0, 1], got 1.5"),
        ('model = ["llama3-8b"]\n[rules.near-duplicate]\ncompare = "both"\n', "compare must be one of prompt+completion, prompt, completion"),
        ('model = ["llama3-8b"]\n[rules.LK001]\nnum-perm = 8\n', "num-perm must be from 16 to 1024"),
        ('model = ["x"]\n[catalog.x]\ncontext-tokens = 8\nprompt-budget = 4\ncompletion-budget = 4\ndata-cap-bytes = 9\nrows-at-1-epoch = 9\ntokenizer = "llama-3"\n', "unknown tokenizer 'llama-3' for model 'x' (did you mean 'llama3'?)"),
        ('[catalog.llama3.1-70b]\nprompt-budget = 10\n', 'must be quoted in TOML: write [catalog."llama3.1-70b"]'),
    ],
)
def test_config_errors_name_file_key_and_hint(run_cli, tmp_path, good, content, message):
    config = tmp_path / "prep.toml"
    config.write_text(content, encoding="utf-8")
    code, out, err = run_cli("lint", good, "--config", config)
    assert code == 2, out
    assert str(config) in err and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_pyproject_tool_prep_is_discovered(run_cli, tmp_path, good, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.prep]\nmodel = ["mixtral-8x7b"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("lint", good, "--format", "json")
    assert code == 0
    assert [m["name"] for m in json.loads(out)["models"]] == ["mixtral-8x7b"]


def test_catalog_override_adds_a_model(run_cli, tmp_path, good):
    config = tmp_path / "prep.toml"
    config.write_text(
        '[catalog."llama3.1-70b"]\nprompt-budget = 6144\ncompletion-budget = 2048\n'
        '[catalog.tiny]\ncontext-tokens = 8\nprompt-budget = 4\ncompletion-budget = 4\n'
        'data-cap-bytes = 100\nrows-at-1-epoch = 10\ntokenizer = "llama3"\n',
        encoding="utf-8",
    )
    code, out, _ = run_cli("lint", good, "--config", config, "--model", "llama3.1-70b", "--model", "tiny", "--format", "json")
    models = {m["name"]: m for m in json.loads(out)["models"]}
    assert models["llama3.1-70b"]["prompt_budget"] == 6144
    assert models["tiny"]["fits"] is False
    assert code == 1


def test_models_command_lists_the_catalog(run_cli):
    code, out, _ = run_cli("models")
    assert code == 0
    assert out.splitlines()[1].split() == ["llama3-8b", "8,192", "6,144", "2,048", "1,000,000,000", "186,000", "llama3"]


def test_console_script_runs_without_traceback(tmp_path):
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"prompt": "a", "completion": "b"}\n{"prompt": \n\xff\xfe\n')
    proc = subprocess.run(
        [sys.executable, "-m", "prep.cli", "lint", str(broken), "--model", "all"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{broken}:2: IO001 unreadable-record line 2: invalid JSON" in proc.stdout
    assert f"{broken}:3: IO001 unreadable-record line 3: invalid JSON" in proc.stdout
