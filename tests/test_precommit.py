"""The pre-commit hook, run by the real pre-commit in a temporary git repository.

``pre-commit try-repo`` builds the hook's environment by installing this repository with pip from the package
index, as it does for every user (the one place a test needs the registry, like .ci/run's own install; prep
itself then runs offline in that environment): minutes, so it is marked slow. The fast tests run the hook as
this manifest defines it (entry, args, files, exclude) from a local hook with ``language: system``, which uses
the prep installed here: the real pre-commit selects the files and runs the command, without building anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import yaml

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None or shutil.which("git") is None,
                                reason="needs pre-commit and git")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow  # builds the hook's environment from the package index: minutes, and the network
def test_try_repo_passes_clean_data_and_fails_broken_data(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    _git(work, "init", "-q")
    _git(work, "config", "user.email", "t@example.com")
    _git(work, "config", "user.name", "t")
    rows = [{"prompt": f"Ticket {i}: my bill shows an unexpected charge number {i * 37}", "completion": "Billing"}
            for i in range(5)]
    (work / "clean.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (work / "broken.jsonl").write_text('{"prompt": "ok", "completion": ""}\n{"prompt": "cut off\n')
    (work / "prep.toml").write_text('model = ["llama3-8b"]\nignore = ["SZ003"]\n')
    _git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    def run(*files):
        return subprocess.run(
            ["pre-commit", "try-repo", str(REPO), "prep-lint", "--files", *files, "--verbose"],
            cwd=work, env=env, capture_output=True, text=True, timeout=1800,
        )

    clean = run("clean.jsonl")
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert "Passed" in clean.stdout
    broken = run("broken.jsonl", "clean.jsonl")
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert "Failed" in broken.stdout
    assert "broken.jsonl:1: SC003 empty-value completion is empty" in broken.stdout
    assert "IO001 unreadable-record" in broken.stdout


def _local_hook_repo(tmp_path):
    """A git repository whose .pre-commit-config.yaml runs this manifest's hook with the installed prep."""
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    local = {k: hook[k] for k in ("id", "name", "entry", "args", "files", "exclude", "require_serial")}
    local["entry"] = f"{shutil.which('prep') or 'prep'} lint"  # the prep installed here, by absolute path
    local["language"] = "system"
    work = tmp_path / "project"
    work.mkdir()
    _git(work, "init", "-q")
    _git(work, "config", "user.email", "t@example.com")
    _git(work, "config", "user.name", "t")
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (work / "prep.toml").write_text('model = ["llama3-8b"]\nignore = ["SZ003"]\n', encoding="utf-8")
    return work


def _run_hook(work, tmp_path):
    _git(work, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    return subprocess.run(["pre-commit", "run", "--all-files", "--verbose", "--color", "never"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_hook_takes_data_files_not_package_json(tmp_path):
    work = _local_hook_repo(tmp_path)
    rows = [{"prompt": f"Ticket {i}: my bill shows an unexpected charge number {i * 37}", "completion": "Billing"}
            for i in range(5)]
    (work / "data").mkdir()
    (work / "web").mkdir()
    (work / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (work / "data" / "valid.json").write_text(json.dumps(rows), encoding="utf-8")
    (work / "package.json").write_text('{"name": "site", "version": "1.0.0"}', encoding="utf-8")
    (work / "web" / "tsconfig.json").write_text('{"compilerOptions": {}}', encoding="utf-8")
    (work / "data" / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    (work / "lookup.csv").write_text("code,country\nFR,France\n", encoding="utf-8")
    done = _run_hook(work, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Passed" in done.stdout
    # quiet: no fit table, no notes; one summary line for both data files, and nothing about the others
    assert "Fit of the training data" not in done.stdout
    summaries = [line for line in done.stdout.splitlines() if " in 10 rows of 2 sources;" in line]
    assert len(summaries) == 1, done.stdout
    for other in ("package.json", "tsconfig.json", "lookup.csv"):
        assert other not in done.stdout


def test_the_hook_fails_a_commit_with_errors_and_says_where(tmp_path):
    work = _local_hook_repo(tmp_path)
    (work / "broken.jsonl").write_text('{"prompt": "ok", "completion": ""}\n{"prompt": "cut off\n', encoding="utf-8")
    done = _run_hook(work, tmp_path)
    assert done.returncode == 1 and "Failed" in done.stdout
    assert "broken.jsonl:1: SC003 empty-value completion is empty" in done.stdout
    assert "broken.jsonl:2: IO001 unreadable-record line 2:" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
