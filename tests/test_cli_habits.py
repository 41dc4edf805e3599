"""What users of ruff and sqlfluff expect of a linter's command line: 1-based line locations, quiet and statistics
output, an output file, --exit-zero, --extend-select, a severity floor, standard input, directories, colour only
on a terminal, JSON listings, help on every option, and messages that read right."""

from __future__ import annotations

import io
import json
import sys

import click
import polars as pl
import pytest

from prep.cli import cli
from tests.conftest import REPO, SAMPLE, write_jsonl

GOLDEN = REPO / "tests" / "data" / "golden.jsonl"

ROWS = [{"prompt": f"Question number {i} about topic {i * 7}?", "completion": f"Answer {i}."} for i in range(120)]


# -- locations -----------------------------------------------------------------------------------------------------


def test_text_github_and_json_agree_on_the_1_based_line(run_cli):
    _, text, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b")
    _, github, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--format", "github")
    _, doc, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--format", "json")
    findings = json.loads(doc)["findings"]
    tk001 = next(f for f in findings if f["code"] == "TK001")
    assert tk001["line"] == tk001["row"] + 1  # the sample has no blank lines: record 20 starts on line 21
    assert f"{SAMPLE}:{tk001['line']}: TK001 prompt-over-budget" in text
    assert f"line={tk001['line']},title=TK001" in github
    io001 = next(f for f in findings if f["code"] == "IO001")
    assert f"{SAMPLE}:{io001['line']}: IO001 unreadable-record line {io001['line']}:" in text


def test_blank_lines_move_the_line_not_the_row(run_cli, tmp_path):
    path = tmp_path / "gaps.jsonl"
    records = [json.dumps(r) for r in ROWS] + [json.dumps(ROWS[0])]
    path.write_text("\n\n".join(records) + "\n", encoding="utf-8")  # a blank line after every record
    _, doc, _ = run_cli("lint", path, "--model", "llama3-8b", "--select", "DU001", "--format", "json")
    (finding,) = json.loads(doc)["findings"]
    assert (finding["row"], finding["line"]) == (120, 241)
    assert finding["message"].startswith("exact duplicate of line 1 (kept")  # the kept record's line, too
    _, text, _ = run_cli("lint", path, "--model", "llama3-8b", "--select", "DU001")
    assert f"{path}:241: DU001" in text


def test_csv_lines_count_the_header_and_parquet_shows_1_based_rows(run_cli, tmp_path):
    frame = pl.DataFrame(ROWS + [ROWS[3]])
    frame.write_csv(tmp_path / "data.csv")
    frame.write_parquet(tmp_path / "data.parquet")
    _, out, _ = run_cli("lint", tmp_path / "data.csv", "--model", "llama3-8b", "--select", "DU001")
    assert f"{tmp_path / 'data.csv'}:122: DU001 exact-duplicate exact duplicate of line 5 (kept" in out
    _, out, _ = run_cli("lint", tmp_path / "data.parquet", "--model", "llama3-8b", "--select", "DU001")
    assert f"{tmp_path / 'data.parquet'}:121: DU001 exact-duplicate exact duplicate of row 4 (kept" in out


def test_a_leak_names_the_training_line(run_cli, tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", ROWS)
    validation = write_jsonl(tmp_path / "val.jsonl", [{"prompt": "Something new entirely", "completion": "x"}, ROWS[9]])
    _, out, _ = run_cli("lint", train, "--validation", validation, "--model", "llama3-8b", "--select", "LK001")
    assert f"{validation}:2: LK001 train-validation-leak exact duplicate of training line 10 " in out


# -- output options ------------------------------------------------------------------------------------------------


def test_quiet_prints_the_findings_and_one_summary_line(run_cli):
    code, out, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--quiet")
    assert code == 1
    lines = out.splitlines()
    assert all(line.startswith(f"{SAMPLE}") for line in lines[:-1])
    assert lines[-1].startswith("4 errors, 33 warnings, 0 info in 153 rows of 1 source")
    assert "Fit of the training data" not in out and "Findings by rule" not in out and "PI001: checked" not in out


def test_the_per_rule_table_only_with_statistics(run_cli):
    _, plain, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b")
    _, stats, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--statistics")
    assert "Findings by rule:" not in plain
    assert "Findings by rule:" in stats
    assert ["DU001", "exact-duplicate", "warning", "22"] in [line.split() for line in stats.splitlines()]
    assert "Fit of the training data" in plain and "Fit of the training data" in stats


def test_output_file_takes_the_report(run_cli, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--format", "json", "-o", target)
    assert (code, out) == (1, "")
    assert json.loads(target.read_text(encoding="utf-8"))["summary"]["errors"] == 4


def test_an_output_file_that_cannot_be_written_fails_before_the_work(run_cli, tmp_path):
    code, out, err = run_cli("lint", SAMPLE, "--model", "llama3-8b", "-o", tmp_path / "no" / "such" / "dir.txt")
    assert code == 2 and out == ""
    assert err.startswith("prep: error: cannot write") and len(err.strip().splitlines()) == 1


def test_exit_zero_keeps_findings_but_not_failures(run_cli):
    code, out, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--exit-zero", "-q")
    assert code == 0 and "4 errors" in out
    code, _, err = run_cli("lint", "missing.jsonl", "--model", "llama3-8b", "--exit-zero")
    assert code == 2 and "no such file" in err


def test_extend_select_adds_to_the_configured_selection(run_cli, tmp_path):
    (tmp_path / "prep.toml").write_text('model = ["llama3-8b"]\nselect = ["SC"]\n', encoding="utf-8")
    data = write_jsonl(tmp_path / "d.jsonl", ROWS + [ROWS[0]])
    _, only, _ = run_cli("lint", data, "--config", tmp_path / "prep.toml", "--format", "json")
    _, more, _ = run_cli("lint", data, "--config", tmp_path / "prep.toml", "--extend-select", "DU001", "--format", "json")
    assert [f["code"] for f in json.loads(only)["findings"]] == []
    assert [f["code"] for f in json.loads(more)["findings"]] == ["DU001"]
    code, _, err = run_cli("lint", data, "--config", tmp_path / "prep.toml", "--extend-select", "DU0099")
    assert code == 2 and "--extend-select: unknown rule or prefix 'DU0099'" in err


def test_min_severity_hides_lower_findings_and_says_how_many(run_cli):
    code, out, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--min-severity", "error", "-q")
    assert code == 1
    assert {line.split(": ", 1)[1].split()[0] for line in out.splitlines()[:-1]} == {"IO001", "SC003", "TK001", "PI001"}
    assert "; 33 findings below error not reported;" in out.splitlines()[-1]


def test_standard_input_is_read_under_its_given_name(run_cli, monkeypatch):
    body = "".join(json.dumps(r) + "\n" for r in ROWS + [ROWS[5]]).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    code, out, _ = run_cli("lint", "-", "--model", "llama3-8b", "-q")
    assert code == 0
    assert out.splitlines()[0] == "-:121: DU001 exact-duplicate exact duplicate of line 6 (kept; 2 rows in the group)"
    csv_body = b"prompt,completion\n" + b"".join(f"q{i} is here,a{i}\n".encode() for i in range(3)) + b",x\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(csv_body)))
    code, out, _ = run_cli("lint", "-", "--stdin-filename", "data/train.csv", "--model", "llama3-8b", "-q")
    assert code == 1 and "data/train.csv:5: SC002 null-value prompt is null" in out  # line 5: after the header


def test_a_directory_lints_each_data_file_and_honours_config(run_cli, tmp_path):
    (tmp_path / "data" / "old").mkdir(parents=True)
    (tmp_path / "data" / ".cache").mkdir()
    write_jsonl(tmp_path / "data" / "a.jsonl", ROWS + [ROWS[0]])
    write_jsonl(tmp_path / "data" / "old" / "b.jsonl", ROWS + [ROWS[1]])
    write_jsonl(tmp_path / "data" / ".cache" / "c.jsonl", [{"prompt": None}])
    (tmp_path / "data" / "notes.txt").write_text("not data", encoding="utf-8")
    (tmp_path / "prep.toml").write_text(
        'model = ["llama3-8b"]\n[per-source-ignores]\n"data/old/*" = ["DU001"]\n', encoding="utf-8"
    )
    code, out, _ = run_cli("lint", tmp_path / "data", "--config", tmp_path / "prep.toml", "-q")
    assert code == 0
    # a.jsonl and old/b.jsonl, each its own dataset (the hidden folder skipped); quiet: one summary line for all
    assert out.splitlines()[-1] == "0 errors, 1 warning, 0 info in 242 rows of 2 sources; models: llama3-8b."
    assert [line.split(":")[0] for line in out.splitlines() if ": DU001 " in line] == [str(tmp_path / "data" / "a.jsonl")]
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli("lint", empty, "--model", "llama3-8b")
    assert code == 2 and "a directory with no data files" in err


@pytest.mark.parametrize("typed", ["relative", "dotted", "absolute", "from-a-sibling", "from-inside"])
def test_per_source_ignores_match_however_the_path_is_typed(run_cli, tmp_path, monkeypatch, typed):
    project = tmp_path / "proj"
    (project / "data" / "old").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    write_jsonl(project / "data" / "old" / "b.jsonl", ROWS + [ROWS[1]])
    (project / "prep.toml").write_text(
        'model = ["llama3-8b"]\n[per-source-ignores]\n"data/old/*.jsonl" = ["DU001"]\n', encoding="utf-8"
    )
    cwd, path = {
        "relative": (project, "data/old/b.jsonl"),
        "dotted": (project, "./data/old/../old/b.jsonl"),
        "absolute": (tmp_path / "elsewhere", str(project / "data" / "old" / "b.jsonl")),
        "from-a-sibling": (tmp_path / "elsewhere", "../proj/data/old/b.jsonl"),
        "from-inside": (project / "data", "old/b.jsonl"),
    }[typed]
    monkeypatch.chdir(cwd)
    config = project / "prep.toml"
    code, out, _ = run_cli("lint", path, "--config", config, "--select", "DU001", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []  # ignored, from every directory
    (project / "prep.toml").write_text('model = ["llama3-8b"]\n', encoding="utf-8")
    code, out, _ = run_cli("lint", path, "--config", config, "--select", "DU001", "--format", "json")
    assert [f["code"] for f in json.loads(out)["findings"]] == ["DU001"]  # the same run without the ignore finds it


def test_per_source_ignores_without_a_config_file_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    from prep.suppress import source_paths

    monkeypatch.chdir(tmp_path)
    assert source_paths("data/a.jsonl") == ("data/a.jsonl", (tmp_path / "data" / "a.jsonl").as_posix(), "a.jsonl")
    outside = source_paths("/elsewhere/x/a.jsonl", tmp_path / "proj")
    assert outside == ("/elsewhere/x/a.jsonl", "a.jsonl")  # not under the root: matched as typed, absolute


def test_colour_only_on_a_terminal_and_never_with_no_color(run_cli, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, piped, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "-q")
    assert "\x1b[" not in piped
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    _, coloured, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "-q")
    assert "\x1b[31m\x1b[1mTK001\x1b[0m" in coloured  # errors red, the code only
    assert click.unstyle(coloured) == piped
    monkeypatch.setenv("NO_COLOR", "1")
    _, plain, _ = run_cli("lint", SAMPLE, "--model", "llama3-8b", "-q")
    assert plain == piped


def test_rules_and_models_as_json(run_cli):
    code, out, _ = run_cli("rules", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and {"DU001", "PI001", "TX004"} <= {r["code"] for r in rules}
    assert all(r["summary"] and r["doc"].startswith(r["summary"]) for r in rules)
    code, out, _ = run_cli("rules", "near-duplicate", "--format", "json")
    assert json.loads(out)["code"] == "DU002"
    code, out, _ = run_cli("models", "--format", "json")
    models = json.loads(out)
    assert models[0] == {"name": "llama3-8b", "context_tokens": 8192, "prompt_budget": 6144, "completion_budget": 2048,
                         "data_cap_bytes": 1_000_000_000, "rows_at_1_epoch": 186_000, "tokenizer": "llama3"}


def test_every_option_of_every_command_has_help():
    missing = [f"{name} {p.opts[0]}" for name, command in cli.commands.items() for p in command.params
               if isinstance(p, click.Option) and not p.help]
    assert missing == []


def test_usage_errors_end_with_the_help_hint_on_their_one_line(run_cli):
    code, _, err = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--format", "xml")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip().endswith("; try 'prep lint -h' for help")


# -- messages ------------------------------------------------------------------------------------------------------


def test_counts_of_one_are_singular(run_cli, tmp_path):
    one = write_jsonl(tmp_path / "one.jsonl", [ROWS[0]])
    _, out, _ = run_cli("lint", one, "--model", "llama3-8b")
    assert "training data has 1 usable row, fewer than" in out
    words = " ".join(out.split())  # notes wrap
    assert "1 labelled row" in words and "row(s)" not in words
    assert "in 1 row of 1 source" in out


def test_conflicting_flags_are_refused_before_any_work(run_cli, tmp_path):
    html = tmp_path / "r.html"
    code, _, err = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--write-baseline", tmp_path / "b.json", "--html", html)
    assert code == 2 and "--write-baseline" in err and "--html" in err
    assert not html.exists() and not (tmp_path / "b.json").exists()
    code, _, err = run_cli("lint", SAMPLE, "--model", "llama3-8b", "--write-baseline", tmp_path / "b.json",
                           "--baseline", tmp_path / "b.json")
    assert code == 2 and "--baseline" in err


def test_an_empty_json_array_is_called_that(run_cli, tmp_path):
    (tmp_path / "empty.json").write_text("[]", encoding="utf-8")
    _, out, _ = run_cli("lint", tmp_path / "empty.json", "--model", "llama3-8b", "-q")
    assert "IO002 empty-source no records (the JSON array is empty)" in out


def test_unmapped_csv_columns_do_not_fit(run_cli, tmp_path):
    path = tmp_path / "unmapped.csv"
    path.write_text("question,answer\nq,a\n", encoding="utf-8")
    _, lint_out, _ = run_cli("lint", path, "--model", "llama3-8b")
    _, estimate_out, _ = run_cli("estimate", path, "--model", "llama3-8b")
    lint_row = next(line for line in lint_out.splitlines() if line.strip().startswith("llama3-8b"))
    estimate_row = next(line for line in estimate_out.splitlines() if line.strip().startswith("llama3-8b"))
    assert lint_row.split()[-1] == estimate_row.split()[-1] == "NO"


def test_a_stale_whole_source_entry_has_no_none_in_its_place(run_cli, tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", ROWS[:5])
    baseline = tmp_path / "b.json"
    run_cli("lint", data, "--model", "llama3-8b", "--write-baseline", baseline)
    write_jsonl(data, ROWS)  # enough rows now: SZ003 is gone
    _, _, err = run_cli("lint", data, "--model", "llama3-8b", "--baseline", baseline)
    assert "SZ003" in err and "None" not in err


@pytest.mark.parametrize(("policy", "line"), [("redact", "redacted PII in 1 row"),
                                              ("drop", "PII redacted in excluded.jsonl: 1 row")])
def test_prepare_says_what_it_did_with_pii(run_cli, tmp_path, policy, line):
    code, out, _ = run_cli("prepare", GOLDEN, "--model", "llama3-8b", "--out", tmp_path / "out", "--pii", policy)
    assert line in out.splitlines()


# -- the README's CI recipe ----------------------------------------------------------------------------------------


def _workflow() -> dict:
    import re

    import yaml

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(\s*# \.github/workflows/data\.yml\n.*?)```", text, re.S).group(1)
    return yaml.safe_load("\n".join(line[2:] for line in block.splitlines()))


def test_the_readme_ci_recipe_installs_from_the_repository_and_may_upload(tmp_path):
    workflow = _workflow()
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["prep"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert any("git+https://" in run for run in runs) and not any("|| true" in run for run in runs)
    upload = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    sarif_step = next(i for i, step in enumerate(steps) if "--format sarif" in step.get("run", ""))
    assert sarif_step < upload and "-o prep.sarif" in steps[sarif_step]["run"]
    assert steps[upload]["with"]["sarif_file"] == "prep.sarif"


@pytest.mark.parametrize(("data", "exit_code"), [("sample", 0), ("missing", 2)])
def test_the_readme_ci_lint_step_fails_only_when_prep_cannot_run(run_cli, tmp_path, monkeypatch, data, exit_code):
    import shlex
    import shutil

    (tmp_path / "data").mkdir()
    if data == "sample":
        shutil.copy(SAMPLE, tmp_path / "data" / "train.jsonl")  # findings, errors among them
    monkeypatch.chdir(tmp_path)
    steps = _workflow()["jobs"]["prep"]["steps"]
    command = shlex.split(next(step["run"] for step in steps if "--format sarif" in step.get("run", "")))
    assert command[0] == "prep"
    code, _, err = run_cli(*command[1:])
    assert code == exit_code, err
    if exit_code == 0:
        assert json.loads((tmp_path / "prep.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    else:
        assert not (tmp_path / "prep.sarif").exists()  # nothing for upload-sarif to pick up
