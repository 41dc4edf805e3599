"""The stored-procedure handlers against a real Snowpark session on a fakesnow server (no Snowflake here).

Cortex does not exist in fakesnow: the handlers reach it through ``prep.procs.cortex.client``, replaced here by the real
``CortexClient`` over :class:`tests.cortex_double.CortexDouble`, which checks every call against FINETUNE's
documented signatures, records it, and answers with payloads shaped like the facts file's.
"""

from __future__ import annotations

import itertools
import json
import logging
import random

import polars as pl
import pytest

pytest.importorskip("fakesnow")
pytest.importorskip("snowflake.snowpark")

import fakesnow  # noqa: E402, F401

from tests.conftest import fakesnow_server  # noqa: E402
from snowflake.snowpark import Session  # noqa: E402

import prep  # noqa: E402
from prep.procs import cortex, finetune, jobs, lint, prepare  # noqa: E402
from prep.procs.sql import Name, ProcError, check_source  # noqa: E402
from tests.cortex_double import CortexDouble  # noqa: E402

logging.getLogger("uvicorn").setLevel(logging.WARNING)
logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

@pytest.fixture(scope="module")
def server():
    with fakesnow_server() as kwargs:
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
    double = CortexDouble()
    monkeypatch.setattr(cortex, "client", lambda _session: cortex.CortexClient(double))
    server.recorder = double
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
    rows += [("Reach me at ann.lee@acme-mail.com about my roaming bill", "Roaming fees")]
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

    views = {split: Name(tuple(parts)).sql for split, parts in result["views"].items()}
    train = session.sql(f"SELECT * FROM {views['train']}").collect()
    validation = session.sql(f"SELECT * FROM {views['validation']}").collect()
    excluded = session.sql(f"SELECT ROW_INDEX, REASONS, PROMPT FROM {views['excluded']} ORDER BY ROW_INDEX").collect()
    for split in ("train", "validation"):
        assert [c.upper() for c in session.sql(f"SELECT * FROM {views[split]}").columns] == ["PROMPT", "COMPLETION"]
    assert (len(train), len(validation), len(excluded)) == (result["train"], result["validation"], result["excluded"])
    assert len(session.sql("SELECT * FROM SUPPORT_TRAIN").collect()) == result["train"]  # the latest run's views
    reasons = [json.loads(r) for _, r, _ in excluded]
    assert sorted(code for r in reasons for code in r) == ["DU001", "DU001", "PI001", "TK001"]
    pii = next(p for _, r, p in excluded if "PI001" in r)
    assert "ann.lee" not in pii and "[EMAIL_ADDRESS]" in pii  # PII is redacted in the snapshot too
    snapshot = Name(tuple(result["snapshot"])).sql
    hashes = session.sql(
        f"SELECT ROW_HASH, SHA2(COALESCE(TO_VARCHAR(PROMPT), CHR(30)) || CHR(31) || COALESCE(TO_VARCHAR(COMPLETION), "
        f"CHR(30)), 256), SPLIT FROM {snapshot}"
    ).collect()
    assert len(hashes) == n and sum(a == b for a, b, _ in hashes) == n - 1  # all but the redacted row, as read
    # the snapshot keeps what was linted even when the source changes
    session.sql("DELETE FROM TICKETS").collect()
    assert len(session.sql(f"SELECT * FROM {views['train']}").collect()) == result["train"]

    job = finetune.run(session, "SUPPORT", "SUPPORT_MODEL", "llama3-8b", {"max_epochs": 2})
    assert job["model_name"] == "SUPPORT_MODEL_V1" and job["version"] == 1  # the use case's first version
    command, args = session.recorder.calls[-1]
    assert command == "CREATE"
    assert args == ["SUPPORT_MODEL_V1", "llama3-8b", f"SELECT PROMPT, COMPLETION FROM {views['train']}",
                    f"SELECT PROMPT, COMPLETION FROM {views['validation']}", '{"max_epochs": 2}']
    assert job["job_id"] == "ft_0001" and job["dataset_fingerprint"] == result["fingerprint"] and not job["forced"]
    stored = session.sql("SELECT JOB_ID, MODEL_NAME, BASE_MODEL, RUN_ID, STATUS, BACKEND FROM PREP_JOBS").collect()
    assert [tuple(r) for r in stored] == [("ft_0001", "SUPPORT_MODEL_V1", "llama3-8b", result["run_id"], "PENDING",
                                           "cortex-finetune")]

    state = jobs.status(session, "ft_0001", {})
    assert session.recorder.calls[-1] == ("DESCRIBE", ["ft_0001"])
    assert state["status"] == "SUCCESS" and state["final"] and state["model"] == "DB.S.SUPPORT_MODEL_1"
    assert state["extra"] == {"a_new_field": {"anything": True}}
    row = session.sql("SELECT STATUS, FINAL_MODEL FROM PREP_JOBS WHERE JOB_ID = ?", params=["ft_0001"]).collect()[0]
    assert tuple(row) == ("SUCCESS", "DB.S.SUPPORT_MODEL_1")

    listed = jobs.list(session, {})
    assert [j["job_id"] for j in listed["jobs"]] == ["ft_0001"] and listed["jobs"][0]["status"] == "IN_PROGRESS"
    assert listed["not_in_registry"][0]["job_id"] == "ft_other"
    cancelled = jobs.cancel(session, "ft_0001", {})
    assert cancelled["message"] == "Canceled Cortex Fine-tuning job: ft_0001"


def test_unknown_describe_status_is_kept_not_fatal(session):
    seed_tickets(session)
    prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {})
    finetune.run(session, "SUPPORT", "M", "llama3-8b", {})
    session.recorder.describe = {"id": "ft_0001", "status": "QUEUED_FOR_GPU", "progress": "n/a"}
    state = jobs.status(session, "ft_0001", {})
    assert state["status"] == "QUEUED_FOR_GPU" and not state["known_status"] and state["progress"] is None


def test_finetune_refuses_data_with_errors_unless_forced(session):
    seed_tickets(session)
    result = prepare.run(session, "TICKETS", "KEEPERR", "llama3-8b", {"errors": "keep"})
    assert result["output_errors"] == {"TK001": 1}
    with pytest.raises(ProcError, match=r"has error findings in its train or validation data \(TK001 1\)"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {})
    assert not [c for c in session.recorder.calls if c[0] == "CREATE"]
    with pytest.raises(ProcError, match="1 row over llama3-8b's token budgets would be truncated"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"force": True})  # forcing errors does not fix the fit
    with pytest.raises(ProcError, match="was prepared for llama3-8b, not mistral-7b"):
        finetune.run(session, "KEEPERR", "M1", "mistral-7b", {})
    with pytest.raises(ProcError, match="has no prepare run"):
        finetune.run(session, "NEVER_PREPARED", "M1", "llama3-8b", {})
    with pytest.raises(ProcError, match="max_epochs must be an integer from 1 to 10"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"max_epochs": 11})
    with pytest.raises(ProcError, match="unknown option 'max_epoch' \\(did you mean 'max_epochs'\\?\\)"):
        finetune.run(session, "KEEPERR", "M1", "llama3-8b", {"max_epoch": 2})


def test_finetune_judges_the_fit_with_the_users_catalog(session):
    """The fit PREP_FINETUNE checks is the engine's, with the catalog the prepare run was given: a lowered row
    limit refuses a job that the built-in catalog would start, at the epochs asked for."""
    n = seed_tickets(session)
    options = {"catalog": {"llama3-8b": {"rows-at-1-epoch": 25}}, "epochs": 1}
    result = prepare.run(session, "TICKETS", "TIGHT", "llama3-8b", options)
    train = result["train"]
    assert 12 < train <= 25 <= n  # fits one epoch of the lowered limit, not two
    with pytest.raises(ProcError, match=rf"{train:,} rows, over the limit of 12 at 2 epochs"):
        finetune.run(session, "TIGHT", "M3", "llama3-8b", {"max_epochs": 2})
    assert finetune.run(session, "TIGHT", "M3", "llama3-8b", {"max_epochs": 1})["base_model"] == "llama3-8b"


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
    assert not any("ann.lee@acme-mail.com" in message for _, _, message in stored)
    run = session.sql("SELECT KIND, SOURCE, BASE_MODEL FROM PREP_RUNS").collect()
    assert [tuple(r) for r in run] == [("lint", "TICKETS", "llama3-8b")]


def test_rows_are_written_as_a_few_json_statements_and_read_back_exactly(session, monkeypatch):
    """insert_rows binds one JSON array per statement: text with quotes, backslashes, newlines, emoji and the
    text 'null' comes back as written, None as NULL, numbers and booleans as themselves; 5,000 rows of 1 KB are a
    few statements, not 25 INSERTs of 200 rows."""
    from snowflake.snowpark import Session

    from prep.procs.sql import Name, insert_rows

    session.sql("CREATE TABLE WRITTEN (I NUMBER, T VARCHAR, B BOOLEAN, X FLOAT)").collect()
    odd = ['say "hi"', "back\\slash", "line\nbreak\ttab", "emoji \U0001F600 and é", "null", "", "'; DROP TABLE X; --"]
    rows = [(i, odd[i % len(odd)] + "x" * 1000 if i % 3 else None, i % 2 == 0, i / 4) for i in range(5000)]
    statements = []
    real = Session.sql
    monkeypatch.setattr(Session, "sql", lambda self, query, *a, **k: statements.append(query) or real(self, query, *a, **k))
    ran = insert_rows(session, Name(("WRITTEN",)), ["I", "T", "B", "X"], rows, limit=2 << 20)
    monkeypatch.undo()
    assert ran == len(statements) and 2 <= ran <= 4
    back = session.sql("SELECT I, T, B, X FROM WRITTEN ORDER BY I").collect()
    assert [(int(r[0]), r[1], bool(r[2]), float(r[3])) for r in back] == rows


def test_the_source_is_read_in_arrow_batches_never_collected_whole(session, monkeypatch):
    """PREP_LINT reads the rows as Arrow batches taken into polars one by one: collect() (every row as a Python
    object) is never called on the source, and the findings are those of prep lint on the same rows."""
    from snowflake.snowpark import DataFrame

    from prep.procs.common import read_frame

    n = seed_tickets(session)
    frame = read_frame(session, "SELECT PROMPT, COMPLETION, TICKET_ID FROM TICKETS")
    assert frame.columns == ["PROMPT", "COMPLETION", "TICKET_ID"] and frame.height == n
    assert frame.schema["PROMPT"] == pl.String and frame.schema["TICKET_ID"].is_integer()
    batches: list[int] = []
    real = DataFrame.to_arrow_batches

    def counted(self, *args, **kwargs):
        for batch in real(self, *args, **kwargs):
            batches.append(batch.num_rows)
            yield batch

    def refuse(self, *args, **kwargs):
        if "ORDER BY SHA2" in self.queries["queries"][-1].upper():  # the source's rows (SourceQuery.ordered)
            raise AssertionError("collect() on the source's rows")
        return real_collect(self, *args, **kwargs)

    real_collect = DataFrame.collect
    monkeypatch.setattr(DataFrame, "to_arrow_batches", counted)
    monkeypatch.setattr(DataFrame, "collect", refuse)
    summary = lint.run(session, "TICKETS", "llama3-8b", {"select": ["TK", "DU", "PI"]})
    assert sum(batches) >= n
    monkeypatch.undo()
    rows = session.sql("SELECT PROMPT, COMPLETION FROM TICKETS").collect()
    local = prep.lint(pl.DataFrame({"prompt": [r[0] for r in rows], "completion": [r[1] for r in rows]}),
                      settings=prep.Settings(select=("TK", "DU", "PI")), models=["llama3-8b"])
    assert summary["summary"]["by_code"] == local.summary()["by_code"]


def test_inside_snowflake_pii_detection_never_creates_a_process(monkeypatch):
    """Finding 7: prep itself detects Snowflake's runtime (sys._xoptions["snowflake_import_directory"]) and never
    forks there, however it is called and whatever PREP_PROCESSES says."""
    import sys
    from concurrent import futures

    import polars as pl

    import prep
    import prep.measures.pii

    def refuse(*args, **kwargs):
        raise AssertionError("a process pool was created inside Snowflake")

    texts = pl.Series([f"call 415-555-{i:04d} or mail a{i}@acme-mail.org" for i in range(400)])
    monkeypatch.setenv("PREP_PROCESSES", "2")
    monkeypatch.setattr(prep.measures.pii.pool, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(futures, "ProcessPoolExecutor", refuse)
    monkeypatch.setattr(sys, "_xoptions", {**sys._xoptions, "snowflake_import_directory": "/tmp/imports/"})
    from prep.quoting import default_detector

    found = default_detector().detect(texts, processes=2)
    assert len(found) == 400
    result = prep.lint(pl.DataFrame({"prompt": texts, "completion": ["ok"] * 400}), models=["llama3-8b"],
                       settings=prep.Settings(select=("PI001",)))
    assert len(result.findings) == 400


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


# --- the findings, one test each (3, 4, 6, 10, 11, 12; the deploy ones are in tests/test_deploy.py) -----


def test_job_procedures_take_the_registry_schema_and_refuse_unknown_jobs(session):
    """Finding 3: a job recorded in X.Y.PREP_JOBS is found through options.registry_schema, and a job id the
    registry does not hold is a clear error, never an UPDATE that matches nothing."""
    seed_tickets(session)
    current = session.sql("SELECT CURRENT_SCHEMA()").collect()[0][0]
    session.sql("CREATE SCHEMA IF NOT EXISTS PREPDB.REG").collect()
    session.sql(f"USE SCHEMA PREPDB.{current}").collect()  # CREATE SCHEMA made REG the current one
    registry = {"registry_schema": "PREPDB.REG"}
    prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", registry)
    finetune.run(session, "SUPPORT", "M1", "llama3-8b", registry)
    assert session.sql("SELECT JOB_ID FROM PREPDB.REG.PREP_JOBS").collect()[0][0] == "ft_0001"
    with pytest.raises(ProcError, match="job 'ft_0001' is not in .*PREP_JOBS"):
        jobs.status(session, "ft_0001", {})  # the current schema's registry does not hold it
    assert jobs.status(session, "ft_0001", registry)["status"] == "SUCCESS"
    assert session.sql("SELECT STATUS FROM PREPDB.REG.PREP_JOBS").collect()[0][0] == "SUCCESS"
    assert [j["job_id"] for j in jobs.list(session, registry)["jobs"]] == ["ft_0001"]
    with pytest.raises(ProcError, match="job 'ft_nope' is not in"):
        jobs.cancel(session, "ft_nope", registry)
    assert not [c for c in session.recorder.calls if c[0] == "CANCEL"]
    assert jobs.cancel(session, "ft_0001", registry)["message"].endswith("ft_0001")


def _fingerprint_of(session, result) -> str:
    return prepare.fingerprint(session, *(Name(tuple(result["views"][s])) for s in ("train", "validation")))


def test_each_prepare_run_has_its_own_snapshot_and_a_job_trains_on_it(session):
    """Finding 4: a later prepare of the same dataset never changes the views an earlier job trains on, the
    fingerprint does not depend on row order, and FINETUNE refuses views that changed, naming both values."""
    seed_tickets(session)
    first = prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {})
    job = finetune.run(session, "SUPPORT", "M1", "llama3-8b", {})
    train_view = Name(tuple(first["views"]["train"])).sql
    before = session.sql(f"SELECT PROMPT, COMPLETION FROM {train_view} ORDER BY PROMPT").collect()
    session.sql("INSERT INTO TICKETS VALUES ('a brand new ticket about my router, added later', 'Slow data speed', 99)").collect()
    second = prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {})
    assert second["run_id"] != first["run_id"] and second["source_rows"] == first["source_rows"] + 1
    assert session.sql(f"SELECT PROMPT, COMPLETION FROM {train_view} ORDER BY PROMPT").collect() == before
    assert _fingerprint_of(session, first) == first["fingerprint"] == job["dataset_fingerprint"]
    assert second["fingerprint"] != first["fingerprint"]

    # the same rows in another order: the same snapshot indices, split and fingerprint
    session.sql("CREATE TABLE TICKETS_REVERSED AS SELECT * FROM TICKETS ORDER BY TICKET_ID DESC").collect()
    again = prepare.run(session, "TICKETS_REVERSED", "REVERSED", "llama3-8b", {})
    assert again["fingerprint"] == second["fingerprint"]

    # someone changes the snapshot behind the job's back: FINETUNE refuses, naming both fingerprints
    snapshot = Name(tuple(second["snapshot"])).sql
    session.sql(f"UPDATE {snapshot} SET COMPLETION = 'tampered' WHERE SPLIT = 'train' AND ROW_INDEX = "
                f"(SELECT MIN(ROW_INDEX) FROM {snapshot} WHERE SPLIT = 'train')").collect()
    with pytest.raises(ProcError, match=f"fingerprint {second['fingerprint']} then, [0-9a-f]{{64}} now"):
        finetune.run(session, "SUPPORT", "M2", "llama3-8b", {})


class _Spy:
    """A session that records the SQL it is given."""

    def __init__(self, session) -> None:
        self.session, self.queries = session, []

    def sql(self, query, params=None):
        self.queries.append(query)
        return self.session.sql(query, params=params)


def test_the_source_runs_as_the_user_wrote_it(session):
    """Finding 6: what runs is the user's own text, wrapped as a subquery, not sqlglot's re-generation of it."""
    seed_tickets(session)
    source = ("select PROMPT as prompt, COMPLETION as completion from TICKETS\nwhere TICKET_ID < 20  -- recent "
              "tickets only;")
    spy = _Spy(session)
    summary = lint.run(spy, source, "llama3-8b", {"select": ["SC", "IO"]})
    assert summary["rows"] == 20
    text = source.rstrip(";")
    reading = [q for q in spy.queries if "TICKETS" in q and "PREP_" not in q]
    assert reading and all(f"(\n{text}\n) AS SRC" in q for q in reading)
    assert check_source("SELECT v:prompt::string AS prompt FROM t SAMPLE (10)") == (
        "SELECT v:prompt::string AS prompt FROM t SAMPLE (10)")


@pytest.mark.parametrize(
    "source",
    [
        "SELECT * FROM IDENTIFIER('CANARY; DROP TABLE CANARY')",
        "SELECT * FROM IDENTIFIER('CANARY')",
        "SELECT * FROM TABLE(RESULT_SCAN(LAST_QUERY_ID()))",
        "SELECT * FROM TABLE('CANARY')",
        "SELECT * FROM CANARY, LATERAL FLATTEN(input => PARSE_JSON('[1]'))",
        "SELECT * FROM @PREP_STAGE",
        "SELECT SYSTEM$CANCEL_ALL_QUERIES(1) AS prompt, 'x' AS completion",
        'TICKETS"; DROP TABLE CANARY; --',
        "SELECT * FROM TICKETS WHERE '",
    ],
)
def test_sources_that_turn_strings_into_sql_or_names_are_refused(session, source):
    """Finding 10: a source may name only tables and views; a string that becomes SQL or a name is refused with
    a clear message before anything runs (on fakesnow IDENTIFIER's string runs as SQL: the canary tells)."""
    seed_tickets(session)
    session.sql("CREATE TABLE CANARY (X NUMBER)").collect()
    session.sql("INSERT INTO CANARY VALUES (1)").collect()
    for handler in (lambda: lint.run(session, source, "llama3-8b", {}),
                    lambda: prepare.run(session, source, "DS", "llama3-8b", {})):
        with pytest.raises(ProcError, match="source (may read only tables and views|is neither)"):
            handler()
    assert session.sql("SELECT COUNT(*) FROM CANARY").collect()[0][0] == 1


def test_dataset_names_that_join_alike_are_different_datasets(session):
    """Finding 11: the registry keys datasets on the quoted, fully qualified name: PREPDB.TC."S.D" and
    PREPDB."TC.S".D are two datasets, not one."""
    seed_tickets(session)
    current = session.sql("SELECT CURRENT_SCHEMA()").collect()[0][0]
    session.sql("CREATE SCHEMA IF NOT EXISTS PREPDB.TC").collect()
    session.sql(f"USE SCHEMA PREPDB.{current}").collect()
    result = prepare.run(session, "TICKETS", 'PREPDB.TC."S.D"', "llama3-8b", {})
    assert result["dataset_key"] == '"PREPDB"."TC"."S.D"'
    with pytest.raises(ProcError, match='dataset "PREPDB"."TC.S"."D" has no prepare run'):
        finetune.run(session, 'PREPDB."TC.S".D', "M1", "llama3-8b", {})
    assert not [c for c in session.recorder.calls if c[0] == "CREATE"]
    assert finetune.run(session, 'PREPDB.TC."S.D"', "M1", "llama3-8b", {})["dataset"] == '"PREPDB"."TC"."S.D"'


@pytest.mark.parametrize(
    ("handler", "key", "owner"),
    [
        ("lint", "seed", "PREP_PREPARE"), ("lint", "pii", "PREP_PREPARE"), ("lint", "max_epochs", "PREP_FINETUNE"),
        ("lint", "force", "PREP_FINETUNE"), ("prepare", "force", "PREP_FINETUNE"),
        ("finetune", "seed", "PREP_PREPARE"), ("status", "max_epochs", "PREP_FINETUNE"),
    ],
)
def test_each_procedure_takes_only_its_own_options(session, handler, key, owner):
    """Finding 12: an option meant for another procedure is refused, naming that procedure."""
    seed_tickets(session)
    call = {
        "lint": lambda o: lint.run(session, "TICKETS", "llama3-8b", o),
        "prepare": lambda o: prepare.run(session, "TICKETS", "DS", "llama3-8b", o),
        "finetune": lambda o: finetune.run(session, "DS", "M", "llama3-8b", o),
        "status": lambda o: jobs.status(session, "ft_0001", o),
    }[handler]
    with pytest.raises(ProcError, match=f"option '{key}' is an option of {owner}"):
        call({key: 1})


def test_finetune_calls_take_the_documented_form():
    """Finding 8: options are a string holding a JSON object and every argument a literal; the double refuses
    the bound PARSE_JSON(?) form the client used to send, and any other shape."""
    from tests.cortex_double import SignatureError

    double = CortexDouble()
    with pytest.raises(SignatureError, match="not a literal|bound parameters"):
        double.sql("SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', ?, ?, ?, ?, PARSE_JSON(?))",
                   params=["m", "llama3-8b", "SELECT 1", None, '{"max_epochs": 3}'])
    for bad in ("SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', 'm', 'llama3-8b', 'SELECT 1', NULL, PARSE_JSON('{}'))",
                "SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', 'm', 'llama3-8b', 'SELECT 1', NULL, '{\"epochs\": 3}')",
                "SELECT SNOWFLAKE.CORTEX.FINETUNE('DESCRIBE')", "SELECT SNOWFLAKE.CORTEX.FINETUNE('SHOW', 'x')",
                "SELECT SNOWFLAKE.CORTEX.FINETUNE('CREATE', 'm', 'llama3-8b', 'SELECT 1', NULL, '{\"max_epochs\": 11}')"):
        with pytest.raises(SignatureError):
            double.sql(bad)
    client = cortex.CortexClient(double)
    assert client.create("m", "llama3-8b", "SELECT PROMPT, COMPLETION FROM \"A\".\"B\".\"C\"", None, {"max_epochs": 3}) == "ft_0001"
    assert client.describe("ft_0001")["status"] == "SUCCESS" and client.show() and client.cancel("ft_0001")
    assert double.calls[0] == ("CREATE", ["m", "llama3-8b", 'SELECT PROMPT, COMPLETION FROM "A"."B"."C"', None,
                                          '{"max_epochs": 3}'])
    assert client.backend == "cortex-finetune"
