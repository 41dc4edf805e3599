"""After FINETUNE (issue 19), on a real Snowpark session on fakesnow: label -> prepare -> fine-tune -> status ->
evaluate -> promote -> rollback as one scenario, and the retraining state machine through every job status.

FINETUNE goes through :class:`tests.cortex_double.CortexDouble` (each job's DESCRIBE set by the test);
AI_COMPLETE through :class:`tests.cortex_double.CompleteDouble`, which checks the documented named form, records
every call and answers deterministically (:func:`tests.cortex_double.keyword_responder`): the labeller reads a
keyword, the judge compares answer and reference, ``*_V1`` models are wrong on lost phones, other tuned models
right everywhere, and base models always answer the same.
"""

from __future__ import annotations

import itertools
import json
import logging

import pytest

pytest.importorskip("fakesnow")
pytest.importorskip("snowflake.snowpark")
pytest.importorskip("rouge_score")
pytest.importorskip("sacrebleu")

import fakesnow  # noqa: E402, F401
from prep.procs import cortex, evaluate, finetune, jobs, label, models, prepare, retrain  # noqa: E402
from prep.procs.sql import ProcError  # noqa: E402
from snowflake.snowpark import Session  # noqa: E402

from prep.evaluate import score  # noqa: E402
from tests.conftest import fakesnow_server  # noqa: E402
from tests.cortex_double import (  # noqa: E402
    DESCRIBE,
    CompleteDouble,
    CortexDouble,
    SignatureError,
    keyword_responder,
)

logging.getLogger("uvicorn").setLevel(logging.WARNING)
logging.getLogger("uvicorn.access").setLevel(logging.WARNING)

LABELS = ["Roaming fees", "Slow data speed", "Lost phone"]
KEYWORDS = {"roaming": "Roaming fees", "slow": "Slow data speed", "lost": "Lost phone"}


def _truth(text: str) -> str | None:
    return next((label for word, label in KEYWORDS.items() if text.endswith(word)), None)


@pytest.fixture(scope="module")
def server():
    with fakesnow_server() as kwargs:
        session = Session.builder.configs(kwargs).create()
        session.sql("CREATE DATABASE IF NOT EXISTS LOOPDB").collect()
        yield session
        try:
            session.close()
        except Exception:  # fakesnow cannot cancel queries on close
            pass


_schemas = itertools.count()


@pytest.fixture
def session(server, monkeypatch):
    schema = f"L{next(_schemas)}"
    server.sql(f"CREATE SCHEMA LOOPDB.{schema}").collect()
    server.sql(f"USE SCHEMA LOOPDB.{schema}").collect()
    double = CortexDouble()
    monkeypatch.setattr(cortex, "client", lambda _session: cortex.CortexClient(double))
    wrapped = CompleteDouble(server, keyword_responder)
    wrapped.finetune, wrapped.schema = double, schema
    return wrapped


def seed_raw(session, n: int = 64) -> int:
    """Unlabelled tickets: the last word tells the truth; every eighth row is unclear."""
    words = "bill fee trip abroad charge refund data speed router home video call line".split()
    rows = []
    for i in range(n):
        kind = "unclear" if i % 8 == 7 else ("roaming", "slow", "lost")[i % 3]
        rows.append((i, " ".join(words[(i * k + i // 3) % len(words)] for k in range(1, 8)) + f" ticket {i} {kind}"))
    session.sql("CREATE OR REPLACE TABLE RAW_TICKETS (TICKET_ID NUMBER, REQUEST VARCHAR)").collect()
    session.sql("INSERT INTO RAW_TICKETS VALUES " + ", ".join("(?, ?)" for _ in rows),
                params=[v for row in rows for v in row]).collect()
    return n


def _succeed(session, job_id: str, model: str) -> None:
    session.finetune.states[job_id] = {**DESCRIBE, "id": job_id, "status": "SUCCESS", "model": model}


def test_label_prepare_finetune_evaluate_promote_rollback(session):
    n = seed_raw(session)
    schema = f"LOOPDB.{session.schema}"

    # label: every row kept, variants normalised, unclear answers marked
    labelled = label.run(session, "RAW_TICKETS", "Classify the support ticket.", LABELS, "llama3.1-405b",
                         {"text_col": "REQUEST", "output": "LABELLED"})
    assert session.statements == 1 and len(session.calls) == n  # one statement; one call per row, in the warehouse
    assert all(p["temperature"] == 0 for _, _, p in session.calls)
    unclear = sum(1 for i in range(n) if i % 8 == 7)
    assert labelled["rows"] == n and labelled["not_in_label_set"] == unclear
    table = session.sql("SELECT TICKET_ID, PROMPT, COMPLETION, RAW_ANSWER, IN_LABEL_SET FROM LABELLED").collect()
    assert len(table) == n
    for ticket_id, prompt, completion, raw, in_set in table:
        assert completion == _truth(prompt) and in_set == (completion is not None)
        assert raw == ("roaming fees." if completion == "Roaming fees" else completion or "I cannot tell")
    with pytest.raises(ProcError, match="already exists: pass replace = true"):
        label.run(session, "RAW_TICKETS", "Classify.", LABELS, "llama3.1-405b", {"text_col": "REQUEST",
                                                                                  "output": "LABELLED"})

    # prepare: the rows without a label are excluded for their NULL completion, nothing else lost
    prepared = prepare.run(session, "LABELLED", "SUPPORT", "llama3-8b", {"validation_fraction": 0.25, "seed": 0})
    assert prepared["excluded_by_reason"].get("SC002") == unclear
    assert prepared["train"] + prepared["validation"] + prepared["excluded"] == n

    # fine-tune: versioned names from the registry
    first = finetune.run(session, "SUPPORT", "SUPPORT", "llama3-8b", {})
    assert first["model_name"] == "SUPPORT_V1" and first["version"] == 1
    assert first["use_case"] == f"{schema}.SUPPORT"
    assert session.finetune.calls[-1][1][0] == "SUPPORT_V1"
    session.finetune.states["ft_0001"] = {**DESCRIBE, "id": "ft_0001", "status": "IN_PROGRESS", "model": None}
    assert jobs.status(session, "ft_0001", {})["status"] == "IN_PROGRESS"
    with pytest.raises(ProcError, match="is IN_PROGRESS, not SUCCESS"):
        evaluate.run(session, "SUPPORT", [{"job_id": "ft_0001"}], {})
    _succeed(session, "ft_0001", f"{schema}.SUPPORT_V1")
    assert jobs.status(session, "ft_0001", {})["model"] == f"{schema}.SUPPORT_V1"

    # evaluate: tuned against base on the validation view, answers and judge scores kept, metrics as prep.evaluate
    before = session.statements
    result = evaluate.run(session, "SUPPORT", [{"job_id": "ft_0001"}, "llama3-8b"],
                          {"judge": {"model": "llama3.1-70b"}})
    assert session.statements - before == 4  # two models x (answers, judge)
    v1, base = result["models"][f"{schema}.SUPPORT_V1"], result["models"]["llama3-8b"]
    assert result["rows"] == prepared["validation"] and result["label_like"]
    assert v1["role"] == "tuned" and base["role"] == "base" and v1["accuracy"] > base["accuracy"]
    validation = session.sql("SELECT PROMPT, COMPLETION FROM SUPPORT_VALIDATION").collect()
    refs = {p: c for p, c in validation}
    stored = session.sql("SELECT MODEL, ROW_INDEX, PREDICTION, JUDGE_SCORE, PROMPT_TOKENS FROM PREP_PREDICTIONS "
                         "WHERE RUN_ID = ?", params=[result["eval_id"]]).collect()
    assert len(stored) == 2 * len(validation)
    by_model = {}
    for model, row, prediction, judge_score, tokens in stored:
        by_model.setdefault(model, {})[row] = (prediction, judge_score)
        assert tokens > 0 and judge_score in (1, 5)
    # the same metrics as prep.evaluate.score on the stored answers, row for row
    ordered = session.sql(evaluate.indexed(evaluate.Name(("LOOPDB", session.schema, "SUPPORT_VALIDATION")))
                          + " ORDER BY ROW_INDEX").collect()
    references = [r[3] for r in ordered]
    expected = score(references, {m: [by_model[m][r[0]][0] for r in ordered] for m in by_model})
    for m in by_model:
        for metric in ("accuracy", "macro_f1", "exact_match", "rouge_l", "chrf"):
            assert result["models"][m][metric] == pytest.approx(expected["models"][m][metric])
        judged = [by_model[m][r[0]][1] for r in ordered]
        assert result["models"][m]["judge_mean"] == pytest.approx(sum(judged) / len(judged))
    assert v1["credits"] == pytest.approx(v1["tokens"] / 1e6 * 0.19)  # the catalog's llama3-8b rate (an estimate)
    evals = session.sql("SELECT MODEL, ROLE, ROWS_EVALUATED FROM PREP_EVALS WHERE EVAL_ID = ?",
                        params=[result["eval_id"]]).collect()
    assert sorted(tuple(r) for r in evals) == sorted([(f"{schema}.SUPPORT_V1", "tuned", len(validation)),
                                                      ("llama3-8b", "base", len(validation))])
    assert refs  # the view was read

    # promote V1 (nothing to beat), then V2 only when it beats V1
    promoted = models.promote(session, "SUPPORT", "ft_0001", {"require_better": "accuracy"})
    assert promoted["model"] == f"{schema}.SUPPORT_V1" and promoted["previous"] is None
    assert [tuple(r) for r in session.sql("SELECT USE_CASE, MODEL, VERSION FROM PREP_CURRENT_MODELS").collect()] == [
        (f"{schema}.SUPPORT", f"{schema}.SUPPORT_V1", 1)]
    second = finetune.run(session, "SUPPORT", "SUPPORT", "llama3-8b", {})
    assert second["model_name"] == "SUPPORT_V2" and second["job_id"] == "ft_0002"
    _succeed(session, "ft_0002", f"{schema}.SUPPORT_V2")
    jobs.status(session, "ft_0002", {})
    with pytest.raises(ProcError, match="no evaluation scored both"):
        models.promote(session, "SUPPORT", f"{schema}.SUPPORT_V2", {"require_better": "accuracy"})
    compared = evaluate.run(session, "SUPPORT", [{"job_id": "ft_0002"}, {"use_case": "SUPPORT"}, "llama3-8b"], {})
    assert compared["models"][f"{schema}.SUPPORT_V1"]["role"] == "current"
    with pytest.raises(ProcError, match="does not beat .*SUPPORT_V1 on invalid_share"):
        models.promote(session, "SUPPORT", "ft_0002", {"require_better": "invalid_share"})  # both 0
    v2 = models.promote(session, "SUPPORT", "ft_0002", {"require_better": "accuracy"})
    assert v2["previous"] == f"{schema}.SUPPORT_V1" and v2["eval_id"] == compared["eval_id"]
    with pytest.raises(ProcError, match="already the current model"):
        models.promote(session, "SUPPORT", "ft_0002", {})

    # rollback: one step back, and not past the first
    back = models.rollback(session, "SUPPORT", {})
    assert back["model"] == f"{schema}.SUPPORT_V1" and back["rolled_back"] == f"{schema}.SUPPORT_V2"
    with pytest.raises(ProcError, match="is the first model"):
        models.rollback(session, "SUPPORT", {})
    history = session.sql("SELECT SEQ, EVENT, MODEL, PREVIOUS_MODEL FROM PREP_MODELS ORDER BY SEQ").collect()
    assert [tuple(r) for r in history] == [
        (1, "promote", f"{schema}.SUPPORT_V1", None),
        (2, "promote", f"{schema}.SUPPORT_V2", f"{schema}.SUPPORT_V1"),
        (3, "rollback", f"{schema}.SUPPORT_V1", None),
    ]
    kinds = [r[0] for r in session.sql("SELECT KIND FROM PREP_RUNS ORDER BY CREATED_ON").collect()]
    assert kinds == ["label", "prepare", "evaluate", "evaluate"]


def test_the_double_refuses_what_ai_complete_does_not_take(session):
    with pytest.raises(SignatureError, match="model must be a string literal"):
        session.sql("SELECT AI_COMPLETE(model => PROMPT, prompt => 'x', show_details => TRUE)")
    with pytest.raises(SignatureError, match="model_parameters must be an OBJECT_CONSTRUCT of"):
        session.sql("SELECT AI_COMPLETE(model => 'm', prompt => 'x', model_parameters => OBJECT_CONSTRUCT('seed', 1),"
                    " show_details => TRUE)")
    with pytest.raises(SignatureError, match="is not named"):
        session.sql("SELECT AI_COMPLETE('m', 'x')")


def test_bad_arguments_are_one_line_errors(session):
    seed_raw(session, 16)
    with pytest.raises(ProcError, match="labels 'Lost phone' and 'lost phone!' are the same label"):
        label.run(session, "RAW_TICKETS", "Classify.", ["Lost phone", "lost phone!"], "m", {"text_col": "REQUEST"})
    with pytest.raises(ProcError, match="source has no column 'TEXT'"):
        label.run(session, "RAW_TICKETS", "Classify.", LABELS, "m", {"text_col": "TEXT"})
    with pytest.raises(ProcError, match="temperature must be a number from 0 to 1"):
        label.run(session, "RAW_TICKETS", "Classify.", LABELS, "m", {"text_col": "REQUEST", "temperature": 2})
    with pytest.raises(ProcError, match="has no prepare run"):
        evaluate.run(session, "NOPE", ["llama3-8b"], {})
    with pytest.raises(ProcError, match="option 'judge' is an option of PREP_EVALUATE, not of PREP_PROMOTE"):
        models.promote(session, "SUPPORT", "x", {"judge": {}})
    with pytest.raises(ProcError, match="has no current model to roll back"):
        models.rollback(session, "SUPPORT", {})
    with pytest.raises(ProcError, match="days must be a whole number"):
        models.unused(session, 0, {})


def test_retrain_runs_the_state_machine_through_every_status(session, monkeypatch):
    seed_raw(session)
    label.run(session, "RAW_TICKETS", "Classify the support ticket.", LABELS, "llama3.1-405b",
              {"text_col": "REQUEST", "output": "LABELLED"})
    schema = f"LOOPDB.{session.schema}"
    options = {"prepare": {"validation_fraction": 0.25, "seed": 0}, "metric": "accuracy"}

    def step():
        return retrain.run(session, "LABELLED", "SUPPORT", "SUPPORT", "llama3-8b", options)["actions"]

    def state(job_id, status, model=None):
        session.finetune.states[job_id] = {**DESCRIBE, "id": job_id, "status": status, "model": model}

    first = step()  # nothing yet: a snapshot and the first job
    assert [set(a) for a in first][-1] == {"started", "model_name", "version"} and first[-1]["started"] == "ft_0001"
    state("ft_0001", "PENDING")
    assert step() == [{"job_id": "ft_0001", "status": "PENDING", "was": "PENDING"}, {"waiting_for": ["ft_0001"]}]
    state("ft_0001", "IN_PROGRESS")
    assert step()[-1] == {"waiting_for": ["ft_0001"]}
    state("ft_0001", "SUCCESS", f"{schema}.SUPPORT_V1")
    done = step()  # evaluated, promoted (nothing to beat), and the next version started
    assert done[0] == {"job_id": "ft_0001", "status": "SUCCESS", "was": "IN_PROGRESS"}
    assert done[1]["evaluated"] and done[1]["promoted"] == f"{schema}.SUPPORT_V1"
    assert done[-1]["started"] == "ft_0002" and done[-1]["model_name"] == "SUPPORT_V2"
    state("ft_0002", "ERROR")
    failed = step()  # a failed job is recorded, never evaluated; the next one starts
    assert failed[0]["status"] == "ERROR" and not any("evaluated" in a for a in failed)
    assert failed[-1]["started"] == "ft_0003" and failed[-1]["version"] == 3
    state("ft_0003", "CANCELLED")
    assert step()[-1]["started"] == "ft_0004"
    state("ft_0004", "SUCCESS", f"{schema}.RETRY_V1")  # answers as V1 does: not better, not promoted
    worse = step()
    assert "does not beat" in worse[1]["not_promoted"]
    state("ft_0005", "PENDING")
    assert step()[-1] == {"waiting_for": ["ft_0005"]}  # one training at a time: nothing new starts
    current = session.sql("SELECT MODEL FROM PREP_CURRENT_MODELS").collect()
    assert [r[0] for r in current] == [f"{schema}.SUPPORT_V1"]
    evaluated = session.sql("SELECT DISTINCT JOB_ID FROM PREP_EVALS WHERE JOB_ID IS NOT NULL ORDER BY 1").collect()
    assert [r[0] for r in evaluated] == ["ft_0001", "ft_0004"]  # each finished job once, failed ones never
    steps = session.sql("SELECT SUMMARY FROM PREP_RUNS WHERE KIND = 'retrain'").collect()
    assert len(steps) == 8 and all(json.loads(s[0])["actions"] for s in steps)

    def refuse(*args, **kwargs):
        raise ProcError("dataset SUPPORT has error findings")

    state("ft_0005", "SUCCESS", f"{schema}.SUPPORT_V5")
    monkeypatch.setattr(finetune, "run", refuse)
    with pytest.raises(ProcError, match="retrain step [0-9a-f]+: dataset SUPPORT has error findings"):
        step()
    last = json.loads(session.sql("SELECT SUMMARY FROM PREP_RUNS WHERE KIND = 'retrain' ORDER BY CREATED_ON DESC "
                                  "LIMIT 1").collect()[0][0])
    assert last["actions"][-1] == {"refused": "dataset SUPPORT has error findings"}


def test_cost_views_and_unused_models(session):
    """sql/cost.sql's views over ACCOUNT_USAGE (tables here, with the documented columns), in the test's schema."""
    from tests.test_snowflake_walkthrough import REPO, _account_usage, _statements

    _account_usage(session)
    for table in ("PREP_JOBS", "PREP_EVALS"):
        models.record_table(session, {}, table)
    session.sql("INSERT INTO PREP_JOBS (JOB_ID, MODEL_NAME, FINAL_MODEL, BASE_MODEL, STATUS, USE_CASE, VERSION, "
                "LAST_DESCRIBE, CREATED_ON) VALUES "
                "('ft_1', 'SUPPORT_V1', 'LOOPDB.X.SUPPORT_V1', 'llama3-8b', 'SUCCESS', 'S', 1, "
                "'{\"finished_on\": 1900000000000}', '2030-01-01 00:00:00'), "
                "('ft_2', 'SUPPORT_V2', 'LOOPDB.X.SUPPORT_V2', 'llama3-8b', 'SUCCESS', 'S', 2, NULL, "
                "'2030-02-01 00:00:00'), "
                "('ft_3', 'SUPPORT_V3', NULL, 'llama3-8b', 'ERROR', 'S', 3, NULL, '2030-03-01 00:00:00')").collect()
    session.sql("INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.CORTEX_FINE_TUNING_USAGE_HISTORY VALUES "
                "('2030-01-01 01:00:00', '2030-01-01 02:00:00', NULL, 'llama3-8b', 1.5, 1000000)").collect()
    session.sql("INSERT INTO SNOWFLAKE.ACCOUNT_USAGE.CORTEX_FUNCTIONS_USAGE_HISTORY VALUES "
                "(DATEADD('day', -2, CURRENT_TIMESTAMP()), DATEADD('day', -2, CURRENT_TIMESTAMP()), 'AI_COMPLETE', "
                "'LOOPDB.X.SUPPORT_V2', 0.25, 5000)").collect()
    for statement in _statements(REPO / "sql" / "cost.sql"):
        if statement.upper().startswith(("USE ", "GRANT ")):
            continue
        session.sql(statement.replace("PREP_DB.PREP.", "")).collect()  # the current schema
    costs = {r[0]: (r[1], r[2]) for r in session.sql(
        "SELECT JOB_ID, TRAINING_CREDITS, TRAINED_TOKENS FROM PREP_JOB_COSTS").collect()}
    assert costs["ft_1"] == (1.5, 1000000) and costs["ft_3"] == (None, None)
    usage = {r[0]: (r[1], r[2]) for r in session.sql(
        "SELECT MODEL, INFERENCE_CREDITS, INFERENCE_TOKENS FROM PREP_MODEL_USAGE").collect()}
    assert usage == {"LOOPDB.X.SUPPORT_V1": (None, None), "LOOPDB.X.SUPPORT_V2": (0.25, 5000)}
    assert len(session.sql("SELECT * FROM PREP_MODEL_COSTS").collect()) == 2
    unused = models.unused(session, 30, {})
    assert [m["model"] for m in unused["unused"]] == ["LOOPDB.X.SUPPORT_V1"]
    assert [m["model"] for m in models.unused(session, 1, {})["unused"]] == ["LOOPDB.X.SUPPORT_V1",
                                                                            "LOOPDB.X.SUPPORT_V2"]
