"""The warm PII worker (issue 18, item 6): on a small input, presidio loads in a worker forked before the data is
read; a run with few candidates uses it, a run with none stops it if it is still loading, and a loaded one serves the
next run in the same process. Each test runs in a fresh interpreter: presidio must not be loaded there yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork and the parent-death signal")

PII_ROW = {"prompt": "My card was charged twice, write to maria.keller@gmail.com", "completion": "Billing"}
PLAIN_ROW = {"prompt": "My card was charged twice this month", "completion": "Billing"}

HEADER = """
import json, multiprocessing, os, sys, time
import prep
from prep.measures.pii import pool
from prep.measures.pii.analyzer import analyzer

def pii(result):
    return [(f.source, f.row, f.message) for f in result.findings if f.code == "PI001"]

def warm_pids():
    return sorted(p for executor, _ in pool._warm.values() for p in (executor._processes or {}))
"""


def _run(tmp_path, body: str, env: dict | None = None) -> dict:
    """Run ``body`` after HEADER in a new interpreter in ``tmp_path``; it prints one JSON line, returned here."""
    for name, rows in (("pii.jsonl", [PII_ROW, PLAIN_ROW]), ("pii2.jsonl", [PLAIN_ROW, PII_ROW]),
                       ("plain.jsonl", [PLAIN_ROW, PLAIN_ROW])):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    environment = {**os.environ, "PREP_PROCESSES": "2", **(env or {})}
    done = subprocess.run([sys.executable, "-c", HEADER + textwrap.dedent(body)], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_small_file_uses_the_worker_loading_presidio_and_the_next_run_reuses_it(tmp_path):
    out = _run(tmp_path, """
        with pool.keeping_warm():  # what the command line does around its files
            first = prep.lint("pii.jsonl", models="llama3-8b")
            after_first = warm_pids()
            second = prep.lint("pii2.jsonl", models="llama3-8b")
            after_second = warm_pids()
        print(json.dumps({"first": pii(first), "second": pii(second), "after_first": after_first,
                          "after_second": after_second, "after_block": warm_pids(),
                          "children": len(multiprocessing.active_children()),
                          "loaded_here": analyzer.cache_info().currsize}))
    """)
    assert out["loaded_here"] == 0  # this process never loaded presidio: the worker did
    assert len(out["after_first"]) == 1 and out["after_second"] == out["after_first"]  # the same worker, kept
    assert out["after_block"] == [] and out["children"] == 0  # and stopped when the command ends
    assert [row for _, row, _ in out["first"]] == [0] and [row for _, row, _ in out["second"]] == [1]
    # the same findings as in one process, where presidio loads here
    alone = _run(tmp_path, """
        print(json.dumps({"first": pii(prep.lint("pii.jsonl", models="llama3-8b")), "warm": warm_pids()}))
    """, env={"PREP_PROCESSES": "1"})
    assert alone["warm"] == [] and alone["first"] == out["first"]


def test_a_library_call_leaves_no_worker_behind(tmp_path):
    out = _run(tmp_path, """
        result = prep.lint("pii.jsonl", models="llama3-8b")
        print(json.dumps({"pii": pii(result), "warm": warm_pids(), "children": len(multiprocessing.active_children()),
                          "loaded_here": analyzer.cache_info().currsize}))
    """)
    assert len(out["pii"]) == 1 and out["warm"] == [] and out["children"] == 0 and out["loaded_here"] == 0


def test_a_run_without_candidates_stops_the_worker_still_loading(tmp_path):
    """Loading is made slow here (the worker sleeps first), so the run ends while it loads: the worker must be
    stopped then, or this process would wait for it at exit."""
    out = _run(tmp_path, """
        real = pool._worker_init
        def slow(parent, spacy_model=None, phone_regions=()):
            if spacy_model is not None:
                time.sleep(30)
            real(parent, spacy_model, phone_regions)
        pool._worker_init = slow
        result = prep.lint("plain.jsonl", models="llama3-8b")
        print(json.dumps({"pii": pii(result), "warm": warm_pids(),
                          "children": len(multiprocessing.active_children())}))
    """)
    assert out == {"pii": [], "warm": [], "children": 0}


def test_a_worker_that_dies_while_loading_leaves_detection_to_this_process(tmp_path):
    out = _run(tmp_path, """
        def dying(parent, spacy_model=None, phone_regions=()):
            os._exit(3)
        pool._worker_init = dying
        result = prep.lint("pii.jsonl", models="llama3-8b")
        print(json.dumps({"pii": pii(result), "warm": warm_pids(), "loaded_here": analyzer.cache_info().currsize}))
    """)
    assert [row for _, row, _ in out["pii"]] == [0] and "EMAIL_ADDRESS" in out["pii"][0][2]
    assert out["warm"] == [] and out["loaded_here"] == 1


def test_no_worker_is_forked_for_a_large_input_or_with_one_process(tmp_path):
    out = _run(tmp_path, """
        from prep.rules.pi001_pii_detected import PiiDetected, WARM_MAX_BYTES
        rule = PiiDetected()
        rule.warm(WARM_MAX_BYTES + 1)
        large = warm_pids()
        rule.warm(0)  # size unknown
        unknown = warm_pids()
        os.environ["PREP_PROCESSES"] = "1"
        rule.warm(1000)
        print(json.dumps({"large": large, "unknown": unknown, "one": warm_pids()}))
    """)
    assert out == {"large": [], "unknown": [], "one": []}
