"""Worker processes die with their parent, however it dies, and Ctrl-C ends a run with one line and no process left.

PII detection forks two workers. A worker whose parent is killed (SIGKILL, the kernel's OOM killer) must not
live on, reparented to PID 1, working on data nobody will read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, write_jsonl

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find processes")


def _in_session(sid: int) -> list[int]:
    """Live (not zombie) processes of a session."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _pii_heavy(tmp_path: Path) -> Path:
    # many texts that reach presidio (phone-like digit runs), so that the workers have seconds of work
    records = [{"prompt": f"call me at 415-555-{i % 10000:04d} or 212 555 {i % 10000:04d}, order 12345{i}",
                "completion": "ok"} for i in range(20_000)]
    return write_jsonl(tmp_path / "pii.jsonl", records)


def _start(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "prep.cli", "lint", str(path), "--model", "llama3-8b", "--select", "PI001"],
        env={**os.environ, "PYTHONPATH": str(REPO), "PREP_PROCESSES": "2"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _wait_for_workers(process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(_in_session(process.pid)) >= 3:  # the main process and its two workers
            time.sleep(0.5)
            return
        time.sleep(0.05)
    raise AssertionError("the PII workers never started")


def _gone(sid: int, timeout: float = 5) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _in_session(sid):
        time.sleep(0.05)
    left = _in_session(sid)
    for pid in left:  # never leave them to the next test
        os.kill(pid, signal.SIGKILL)
    return left


@pytest.mark.slow  # processes loading the PII engine
def test_workers_die_when_the_main_process_is_killed(tmp_path):
    process = _start(_pii_heavy(tmp_path))
    _wait_for_workers(process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert _gone(process.pid) == []


@pytest.mark.slow  # processes loading the PII engine
def test_ctrl_c_prints_one_line_and_leaves_no_process(tmp_path):
    process = _start(_pii_heavy(tmp_path))
    _wait_for_workers(process)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert err.decode().splitlines() == ["prep: error: interrupted"]
    assert _gone(process.pid) == []
