"""Every handler end to end in a stand-in for Snowflake's Python runtime (tests/sandbox/).

What a procedure sees there, and only that: a fresh environment holding the pinned packages of procs/definition.py
(no llama-models, no mistral-common, not the repo), prep imported from the built prep_code.zip, the tokenizer files
in the import directory announced by ``-X snowflake_import_directory``, and an audit hook refusing process
creation, network other than the session's connection, and writes outside /tmp (the packages and the import
directory are read-only). The session is Snowpark over a fakesnow server started here; Cortex is
tests/cortex_double.py, loaded in the child from its file.

Slow: the first run installs the pins from PyPI into /tmp/prep-sfenv-<hash> (about two minutes); later runs reuse it.
"""

from __future__ import annotations

from tests.conftest import fakesnow_server

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pytest

from tests.sandbox import runner

pytestmark = pytest.mark.slow

# Refused here, as they would be in Snowflake, and harmless: both happen while Snowpark is imported (before prep
# is), and their callers catch the error and go on. Matched by event and the function that caused it.
TOLERATED = (
    # snowflake.connector.description calls platform.platform(), whose processor() runs `uname -p` and returns ""
    # when it cannot
    ("subprocess.Popen", "/platform.py", "from_subprocess"),
    # urllib3 learns at import whether IPv6 works by binding ('::1', 0), and takes False when it cannot
    ("socket.bind", "/urllib3/util/connection.py", "_has_ipv6"),
)


def tolerated(refusal: dict) -> bool:
    return refusal["phase"] == "startup" and any(
        refusal["event"] == event and any(f.split(":")[0].endswith(file) and f.endswith(f" {function}")
                                          for f in refusal["stack"][:8])
        for event, file, function in TOLERATED
    )


def describe(refusals: list[dict]) -> str:
    return "\n".join(
        f"- {r['event']} {r['args']} [{r['phase']}] prep: {r['prep_frame']}\n    " + "\n    ".join(r["stack"][:10])
        for r in refusals
    )


@pytest.fixture(scope="module")
def runtime():
    """(venv python, import directory, pins, where the pins came from)."""
    pytest.importorskip("fakesnow")
    packages, origin = runner.pins()
    if not runner.DEFINITION.exists():
        warnings.warn(f"procs/definition.py is absent: the sandbox holds the {origin} pins {packages}", stacklevel=1)
    python = runner.environment(packages)
    tmp = Path(tempfile.mkdtemp(prefix="prep-sf-imports-", dir="/tmp"))  # under /tmp, where the sandbox lets it be
    try:
        yield python, runner.import_directory(tmp), packages, origin
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def server():

    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    from tests.cortex_double import keyword_responder, register_complete

    with fakesnow_server() as kwargs:
        register_complete(keyword_responder)  # AI_COMPLETE, answered here, in the server's process
        yield kwargs


def child(runtime, server, mode: str, **extra) -> dict:
    python, imports, _, _ = runtime
    code, report, stderr = runner.run_driver(python, imports, {"mode": mode, "server": server, **extra})
    assert code == 0 and report is not None, f"the {mode} child exited {code}:\n{stderr[-5000:]}"
    assert "fatal" not in report, report["fatal"]
    return report


@pytest.fixture(scope="module")
def run(runtime, server):
    return child(runtime, server, "run")


def test_prep_comes_only_from_the_code_zip_and_the_import_directory(runtime, run):
    python, imports, _, _ = runtime
    code_zip = str(imports / "prep_code.zip")
    assert sorted(os.listdir(imports)) == ["llama3-tokenizer.model", "mistral-v1-tokenizer.model", "prep_code.zip"]
    assert run["xoptions"] == {"snowflake_import_directory": f"{imports}/"}
    assert run["prep_file"].startswith(code_zip + os.sep) and run["procs_file"].startswith(code_zip + os.sep)
    # the standard library, the venv's site-packages, the code zip: nothing else, and nothing of the checkout
    venv = str(python.parent.parent)
    assert run["prefix"] == venv and run["site_packages"] and all(p.startswith(venv + "/") for p in run["site_packages"])
    stdlib = [p for p in run["sys_path"] if p.startswith(run["base_prefix"] + "/")]
    assert run["sys_path"] == stdlib + run["site_packages"] + [code_zip]
    assert not any(p.startswith(str(runner.REPO)) for p in run["sys_path"]), run["sys_path"]
    # nothing else could have supplied the tokenizer files, nor the repo's tests package
    assert run["importable"] == {"llama_models": False, "mistral_common": False, "tests": False}
    assert run["tokenizers"] == {"llama3": f"bundled file {imports}/llama3-tokenizer.model",
                                 "mistral-v1": f"bundled file {imports}/mistral-v1-tokenizer.model"}
    assert run["in_snowflake"] is True and run["worker_processes"] == 1


def test_every_handler_runs_end_to_end_and_returns_plain_json(run):
    assert run["errors"] == {}, "\n".join(f"{k}:\n{v}" for k, v in run["errors"].items())
    assert run["json"] == dict.fromkeys(["lint", "lint_mails", "prepare", "finetune", "status", "list", "cancel", "label",
                                         "prepare_labelled", "finetune_loop", "status_loop", "evaluate", "promote"],
                                        True)
    results, seeded = run["results"], run["seeded"]
    assert results["lint"]["rows"] == seeded["TICKETS"]
    prepared = results["prepare"]
    assert prepared["train"] + prepared["validation"] + prepared["excluded"] == prepared["source_rows"] == seeded["TICKETS"]
    assert prepared["excluded_by_reason"] == {"DU001": 2, "PI001": 1, "TK001": 1} and prepared["output_errors"] == {}
    # 400 texts with an address: anywhere but Snowflake, prep would detect them in 2 worker processes
    assert results["lint_mails"]["summary"]["by_code"] == {"PI001": seeded["MAILS"]}
    assert results["finetune"]["job_id"] == "ft_0001"
    assert results["finetune"]["dataset_fingerprint"] == prepared["fingerprint"]
    assert results["status"]["status"] == "SUCCESS" and results["status"]["model"] == "DB.S.SUPPORT_MODEL_1"
    assert [j["job_id"] for j in results["list"]["jobs"]] == ["ft_0001"]
    assert results["cancel"]["message"] == "Canceled Cortex Fine-tuning job: ft_0001"
    assert run["finetune_calls"] == ["CREATE", "DESCRIBE", "SHOW", "CANCEL", "CREATE", "DESCRIBE"]
    # after FINETUNE, with only the pinned packages: rouge-score is not among them (no wheel), so ROUGE-L is
    # reported as unavailable while the other metrics are there
    assert results["label"]["rows"] == seeded["RAW_TICKETS"] and results["label"]["not_in_label_set"] == 12
    assert results["prepare_labelled"]["excluded_by_reason"].get("SC002") == 12
    tuned = results["evaluate"]["models"]["DB.S.SUPPORT_MODEL_1"]
    base = results["evaluate"]["models"]["llama3-8b"]
    assert tuned["accuracy"] == 1.0 and base["accuracy"] < 1.0 and tuned["judge_mean"] == 5.0
    assert tuned["rouge_l"] is None and tuned["bleu"] is not None and tuned["chrf"] is not None
    assert results["promote"]["model"] == "DB.S.SUPPORT_MODEL_1"


def test_nothing_prep_does_is_refused_in_the_sandbox(run):
    """No process, no network but the session, no write outside /tmp: not while the handlers ran (PII detection
    included, in one process), and before that only what Snowpark's import is known to try and shrug off."""
    during = [r for r in run["refusals"] if r["phase"] == "handlers"]
    assert not during, f"refused while the handlers ran:\n{describe(during)}"
    before = [r for r in run["refusals"] if not tolerated(r)]
    assert not before, f"refused while Snowpark was imported and the session made:\n{describe(before)}"
    assert not [w for w in run["writes"] if not w.startswith("/tmp/") and w != "/dev/null"]


def test_the_sandbox_refuses_processes_other_addresses_and_writes_outside_tmp(runtime, server):
    outside = f"/var/tmp/prep-sandbox-probe-{os.getpid()}"
    try:
        report = child(runtime, server, "selfcheck", port=server["port"], outside_probe=outside)
    finally:
        leaked = os.path.lexists(outside)
        if os.path.isdir(outside):
            os.rmdir(outside)
        elif leaked:
            os.remove(outside)
    assert not leaked
    refused = ["fork", "subprocess", "posix_spawn", "system", "connect_other_address", "connect_other_port",
               "resolve_other_name", "write_outside_tmp", "os_open_outside_tmp", "mkdir_outside_tmp",
               "write_into_packages", "write_into_imports"]
    allowed = ["write_in_tmpdir", "read_outside_tmp", "connect_session"]
    assert report["probes"] == {**dict.fromkeys(refused, "refused"), **dict.fromkeys(allowed, "allowed")}
    # prep's own fork is caught (told it is not in Snowflake, PII detection starts workers, and falls back to one
    # process when refused); told it is, it never tries
    outside_snowflake, inside = report["pii_outside_snowflake"], report["pii_inside_snowflake"]
    assert "os.fork" in outside_snowflake["refused"] and outside_snowflake["found"] == 400
    assert inside == {"found": 400, "refused": []}
    forks = [r for r in report["refusals"] if r["event"] == "os.fork" and r["prep_frame"]]
    assert forks and "prep/measures/pii/pool.py" in forks[0]["prep_frame"], json.dumps(report["refusals"], indent=1)
