"""The pre-commit hook, run by the real pre-commit (``pre-commit try-repo``) in a temporary git repository.

pre-commit builds the hook's environment by installing this repository with pip from the package index, as it
does for every user (the one place a test needs the registry, like .ci/run's own install; prep itself then runs
offline in that environment). The first run takes a minute or two; the second reuses the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

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
    assert "broken.jsonl:0: SC003 empty-value completion is empty" in broken.stdout
    assert "IO001 unreadable-record" in broken.stdout
