"""The stored-procedure handlers against a real Snowpark session on a fakesnow server (no Snowflake here).

Cortex does not exist in fakesnow: the handlers reach it through ``procs.cortex.client``, replaced here by the real
``CortexClient`` over a recording session that keeps the exact SQL and bound values and answers with payloads
shaped like the facts file's.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random

import pytest

pytest.importorskip("fakesnow")
pytest.importorskip("snowflake.snowpark")

import fakesnow  # noqa: E402
from snowflake.snowpark import Session  # noqa: E402

from procs import cortex, finetune, jobs, lint, prepare  # noqa: E402
from procs.sql import Name, ProcError, check_source  # noqa: E402

logging.getLogger("uvicorn").setLevel(logging.WARNING)
logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

DESCRIBE = {  # the fields cortex-facts.md lists, plus one the service might add
    "id": "ft_0001",
    "status": "SUCCESS",
    "progress": 1.0,
    "base_model": "llama3-8b",
    "created_on": 1730000000000,
    "finished_on": 1730003600000,
    "model": "DB.S.SUPPORT_MODEL_1",
    "training_data": "SELECT ...",
    "validation_data": "SELECT ...",
    "trained_tokens": 123456,
    "training_result": {"validation_loss": 0.5, "training_loss": 0.4},
    "options": {"max_epochs": 2},
    "a_new_field": {"anything": True},
}


class Recorder:
    """A session for CortexClient that records (sql, params) and answers like FINETUNE would."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list]] = []
        self.describe = dict(DESCRIBE)

    def sql(self, query: str, params=None):
        self.calls.append((query, list(params or [])))
        if "'CREATE'" in query:
            value = "ft_0001"
        elif "'DESCRIBE'" in query:
            value = json.dumps(self.describe)
        elif "'CANCEL'" in query:
            value = f"Canceled Cortex Fine-tuning job: {params[0]}"
        else:
            value = json.dumps([{"id": "ft_0001", "status": "IN_PROGRESS", "base_model": "llama3-8b"},
                                {"id": "ft_other", "status": "SUCCESS", "base_model": "mistral-7b"}])

        class Result:
            def collect(self_inner):
                return [(value,)]

        return Result()


@pytest.fixture(scope="module")
def server():
    with fakesnow.server() as kwargs:
        session = Session.builder.configs(kwargs).create()
        session.sql("CREATE DATABASE IF NOT EXISTS PREPDB").collect()
        yield session
        try:
            session.close()
        except Exception:  # fakesnow cannot cancel queries on close
            pass


_schemas = itertools.count()


@pytest.fixture
def session(server, monkeypatch):
    """A fresh schema per test, and Cortex replaced by the recorder."""
    server.sql(f"CREATE SCHEMA PREPDB.T{next(_schemas)}").collect()
    server.sql(f"USE SCHEMA PREPDB.T{next(_schemas) - 1}").collect()
    recorder = Recorder()
    monkeypatch.setattr(cortex, "client", lambda _session: cortex.CortexClient(recorder))
    server.recorder = recorder
    return server


def seed_tickets(session, table: str = "TICKETS") -> int:
    """A support-ticket table: labelled rows, exact duplicates, one with PII, one over llama3-8b's budget."""
    rng = random.Random(5)
    vocab = ("bill roaming fee trip abroad charge refund data speed slow router home evening video call line "
             "account plan month weekend hotel airport signal tower upgrade contract store family tablet watch "
             "number transfer port carrier outage storm city office laptop stream game buffer").split()
    rows = [(" ".join(rng.sample(vocab, 12)), "Roaming fees") for _ in range(12)]
    rows += [(" ".join(rng.sample(vocab, 12)), "Slow data speed") for _ in range(8)]
    rows += [("I lost my phone on the bus yesterday", "Lost phone")] * 3  # 2 exact duplicates
    rows += [("Reach me at ann.lee@example.com about my roaming bill", "Roaming fees")]
    rows += [("Full transcript: " + "roaming charges again and again " * 1500, "Roaming fees")]
    session.sql(f"CREATE OR REPLACE TABLE {table} (PROMPT VARCHAR, COMPLETION VARCHAR, TICKET_ID NUMBER)").collect()
    values = ", ".join("(?, ?, ?)" for _ in rows)
    session.sql(f"INSERT INTO {table} VALUES {values}", params=[v for i, (p, c) in enumerate(rows) for v in (p, c, i)]).collect()
    return len(rows)


def test_scenario_prepare_views_finetune_status(session):
    n = seed_tickets(session)
    result = prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {"validation_fraction": 0.2})
    assert result["train"] + result["validation"] + result["excluded"] == result["source_rows"] == n
    assert result["excluded_by_reason"] == {"DU001": 2, "PI001": 1, "TK001": 1}
    assert result["output_errors"] == {}

    train = session.sql("SELECT * FROM SUPPORT_TRAIN").collect()
    validation = session.sql("SELECT * FROM SUPPORT_VALIDATION").collect()
    excluded = session.sql("SELECT ROW_INDEX, REASONS, PROMPT FROM SUPPORT_EXCLUDED ORDER BY ROW_INDEX").collect()
    assert [c.upper() for c in session.table("SUPPORT_TRAIN").columns] == ["PROMPT", "COMPLETION"]
    assert [c.upper() for c in session.table("SUPPORT_VALIDATION").columns] == ["PROMPT", "COMPLETION"]
    assert (len(train), len(validation), len(excluded)) == (result["train"], result["validation"], result["excluded"])
    reasons = {row: json.loads(r) for row, r, _ in excluded}
    assert sorted(reasons) == [21, 22, 23, 24] and reasons[21] == reasons[22] == ["DU001"]
    assert reasons[23] == ["PI001"] and reasons[24] == ["TK001"]
    pii = next(p for _, r, p in excluded if "PI001" in r)
    assert "ann.lee" not in pii and "[EMAIL_ADDRESS]" in pii  # PII is not copied into the snapshot
    hashes = session.sql("SELECT ROW_HASH, SHA2(PROMPT || CHR(31) || COMPLETION, 256) FROM SUPPORT_ROWS").collect()
    assert all(a == b for a, b in hashes) and len(hashes) == n
    # the snapshot keeps what was linted even when the source changes
    session.sql("DELETE FROM TICKETS").collect()
    assert len(session.sql("SELECT * FROM SUPPORT_TRAIN").collect()) == result["train"]

    job = finetune.run(session, "SUPPORT", "SUPPORT_MODEL", "llama3-8b", {"max_epochs": 2})
    sql, params = session.recorder.calls[-1]
    assert sql == cortex.CortexClient.CREATE
    assert params == [
        "SUPPORT_MODEL",
        "llama3-8b",
        'SELECT PROMPT AS PROMPT, COMPLETION AS COMPLETION FROM "PREPDB"."' + result["views"]["train"][1] + '"."SUPPORT_TRAIN"',
        'SELECT PROMPT AS PROMPT, COMPLETION AS COMPLETION FROM "PREPDB"."' + result["views"]["train"][1] + '"."SUPPORT_VALIDATION"',
        '{"max_epochs": 2}',
    ]
    assert job["job_id"] == "ft_0001" and job["dataset_fingerprint"] == result["fingerprint"] and not job["forced"]
    stored = session.sql("SELECT JOB_ID, MODEL_NAME, BASE_MODEL, RUN_ID, STATUS FROM PREP_JOBS").collect()
    assert [tuple(r) for r in stored] == [("ft_0001", "SUPPORT_MODEL", "llama3-8b", result["run_id"], "PENDING")]

    state = jobs.status(session, "ft_0001")
    assert session.recorder.calls[-1] == (cortex.CortexClient.DESCRIBE, ["ft_0001"])
    assert state["status"] == "SUCCESS" and state["final"] and state["model"] == "DB.S.SUPPORT_MODEL_1"
    assert state["extra"] == {"a_new_field": {"anything": True}}
    row = session.sql("SELECT STATUS, FINAL_MODEL FROM PREP_JOBS WHERE JOB_ID = ?", params=["ft_0001"]).collect()[0]
    assert tuple(row) == ("SUCCESS", "DB.S.SUPPORT_MODEL_1")

    listed = jobs.list(session)
    assert [j["job_id"] for j in listed["jobs"]] == ["ft_0001"] and listed["jobs"][0]["status"] == "IN_PROGRESS"
    assert listed["not_in_registry"][0]["job_id"] == "ft_other"
    cancelled = jobs.cancel(session, "ft_0001")
    assert cancelled["message"] == "Canceled Cortex Fine-tuning job: ft_0001"


def test_unknown_describe_status_is_kept_not_fatal(session):
    seed_tickets(session)
    session.recorder.describe = {"id": "ft_0001", "status": "QUEUED_FOR_GPU", "progress": "n/a"}
    state = jobs.status(session, "ft_0001")
    assert state["status"] == "QUEUED_FOR_GPU" and not state["known_status"] and state["progress"] is None


def test_finetune_refuses_data_with_errors_unless_forced(session):
    seed_tickets(session)
    result = prepare.run(session, "TICKETS", "KEEPERR", "llama3-8b", {"errors": "keep"})
    assert result["output_errors"] == {"TK001": 1}
    with pytest.raises(ProcError, match=r"has error findings in its train or validation data \(TK001 1\)"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {})
    assert not [c for c in session.recorder.calls if "'CREATE'" in c[0]]
    with pytest.raises(ProcError, match="rows over llama3-8b's token budgets would be truncated"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"force": True})  # forcing errors does not fix the fit
    with pytest.raises(ProcError, match="was prepared for llama3-8b, not mistral-7b"):
        finetune.run(session, "KEEPERR", "M1", "mistral-7b", {})
    with pytest.raises(ProcError, match="has no prepare run"):
        finetune.run(session, "NEVER_PREPARED", "M1", "llama3-8b", {})
    with pytest.raises(ProcError, match="max_epochs must be an integer from 1 to 10"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"max_epochs": 11})
    with pytest.raises(ProcError, match="unknown option 'max_epoch' \\(did you mean 'max_epochs'\\?\\)"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"max_epoch": 2})


def test_forced_finetune_is_recorded(session):
    seed_tickets(session)
    prepare.run(session, "SELECT PROMPT, COMPLETION FROM TICKETS WHERE TICKET_ID < 20", "SMALL", "llama3-8b",
                {"errors": "keep", "labels": {"mode": "off"}, "rules": {"SZ003": {"min-rows": 50}}})
    job = finetune.run(session, "SMALL", "M2", "llama3-8b", {"force": True})
    assert job["forced"]
    assert session.sql("SELECT FORCED FROM PREP_JOBS").collect()[0][0] in (True, 1)


def test_lint_writes_findings_and_a_run(session):
    n = seed_tickets(session)
    summary = lint.run(session, "TICKETS", "llama3-8b", {"select": ["TK", "DU", "PI"]})
    assert summary["rows"] == n and summary["exit_code"] == 1
    stored = session.sql("SELECT CODE, ROW_INDEX, MESSAGE FROM PREP_FINDINGS WHERE RUN_ID = ?", params=[summary["run_id"]]).collect()
    assert sorted({code for code, _, _ in stored}) == ["DU001", "PI001", "TK001"]
    assert len(stored) == sum(summary["summary"]["by_code"].values())
    assert not any("ann.lee@example.com" in message for _, _, message in stored)
    run = session.sql("SELECT KIND, SOURCE, BASE_MODEL FROM PREP_RUNS").collect()
    assert [tuple(r) for r in run] == [("lint", "TICKETS", "llama3-8b")]


def test_handlers_keep_pii_in_one_process_and_restore_the_environment(session, monkeypatch):
    """Snowflake allows no new processes: while a handler runs, PII detection gets one; afterwards the variable is
    as it was, so importing or calling the handlers elsewhere leaves later runs alone."""
    import prep.pii

    seed_tickets(session)
    monkeypatch.delenv("PREP_PROCESSES", raising=False)
    seen = []
    real = prep.pii.Detector.detect_many

    def spy(self, columns, processes=None):
        seen.append(os.environ.get("PREP_PROCESSES"))
        return real(self, columns, processes)

    monkeypatch.setattr(prep.pii.Detector, "detect_many", spy)
    lint.run(session, "TICKETS", "llama3-8b", {"select": ["PI"]})
    prepare.run(session, "TICKETS", "ONEPROC", "llama3-8b", {"errors": "keep", "labels": {"mode": "off"}})
    assert seen and set(seen) == {"1"}
    assert "PREP_PROCESSES" not in os.environ


# --- injection ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "TICKETS; DROP TABLE TICKETS",
        "SELECT * FROM TICKETS; DROP TABLE TICKETS",
        "SELECT * FROM TICKETS; -- harmless?\nDROP TABLE TICKETS",
        "TICKETS' OR '1'='1",
        "DROP TABLE TICKETS",
        "DELETE FROM TICKETS",
        "INSERT INTO TICKETS SELECT * FROM TICKETS",
        "CALL SOMETHING()",
        "",
    ],
)
def test_sources_that_are_not_one_select_are_refused_and_nothing_runs(session, source):
    n = seed_tickets(session)
    with pytest.raises(ProcError):
        lint.run(session, source, "llama3-8b", {})
    with pytest.raises(ProcError):
        prepare.run(session, source, "DS", "llama3-8b", {})
    assert session.sql("SELECT COUNT(*) FROM TICKETS").collect()[0][0] == n
    tables = {r[0] for r in session.sql("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = CURRENT_SCHEMA()").collect()}
    assert tables == {"TICKETS"}


@pytest.mark.parametrize("dataset", ['DS"; DROP TABLE TICKETS; --', "DS; DROP TABLE TICKETS", "a.b.c.d", "DS--x", "1DS"])
def test_bad_dataset_names_are_refused(session, dataset):
    n = seed_tickets(session)
    with pytest.raises(ProcError, match="not a valid object name"):
        prepare.run(session, "TICKETS", dataset, "llama3-8b", {})
    assert session.sql("SELECT COUNT(*) FROM TICKETS").collect()[0][0] == n


def test_quoted_names_with_odd_characters_are_quoted_safely(session):
    n = seed_tickets(session, '"odd ""name""; x"')
    result = prepare.run(session, '"odd ""name""; x"', '"my ""set"""', "llama3-8b", {})
    assert result["source_rows"] == n
    assert len(session.sql('SELECT * FROM "my ""set""_TRAIN"').collect()) == result["train"]


def test_source_check_keeps_one_select_and_regenerates_it():
    assert check_source("tickets") == 'SELECT * FROM "TICKETS"'
    assert check_source("SELECT prompt, completion FROM t WHERE x = ';'") == "SELECT prompt, completion FROM t WHERE x = ';'"
    assert Name.parse('db."s x".t').sql == '"DB"."s x"."T"'
    with pytest.raises(ProcError, match="got 2 statements"):
        check_source("SELECT 1; SELECT 2")


def test_bad_options_are_clear_errors(session):
    seed_tickets(session)
    with pytest.raises(ProcError, match="options must be a JSON object"):
        lint.run(session, "TICKETS", "llama3-8b", "{not json")
    with pytest.raises(Exception, match="unknown key 'selct'"):
        lint.run(session, "TICKETS", "llama3-8b", {"selct": ["TK"]})
    with pytest.raises(Exception, match="--pii must be one of drop, redact, keep"):
        prepare.run(session, "TICKETS", "DS", "llama3-8b", {"pii": "hide"})


def test_registry_tables_hold_no_raw_pii(session):
    """Labels quoted by LB001/LB002 reach PREP_FINDINGS and PREP_RUNS only masked, and a row excluded for
    another reason is redacted in the snapshot even with pii = keep."""
    n = seed_tickets(session)
    leak, card = "alice.w.leak@corp-example.com", "4111111111111111"
    session.sql("INSERT INTO TICKETS VALUES (?, ?, ?), (?, ?, ?)",
                params=["a ticket about a strange label", leak, n, f"my card {card} was charged", "", n + 1]).collect()
    lint.run(session, "TICKETS", "llama3-8b", {})
    prepare.run(session, "TICKETS", "LEAKY", "llama3-8b", {"pii": "keep"})

    def dump(table: str) -> str:
        return "\n".join(json.dumps([str(v) for v in row]) for row in session.sql(f"SELECT * FROM {table}").collect())

    findings, runs = dump("PREP_FINDINGS"), dump("PREP_RUNS")
    assert "LB002" in findings and "a***@c***.com" in findings  # the finding is there, masked
    assert leak not in findings and leak not in runs
    excluded = dump("LEAKY_EXCLUDED")
    assert card not in excluded and "[CREDIT_CARD]" in excluded
