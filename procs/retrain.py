"""``CALL PREP_RETRAIN(source, dataset, use_case, base_model, options)``: one step of scheduled retraining, what a
``CREATE TASK`` calls (``sql/retrain_task.sql``). A state machine over the registry, so that each call does what
the jobs' states call for and nothing twice:

1. every job of the use case that is not final is DESCRIBEd (PREP_JOB_STATUS), so PREP_JOBS is current;
2. every job that succeeded and has no evaluation is evaluated (PREP_EVALUATE on its own prepare run's validation
   view, against the current model of the use case and the base model); with ``promote = 'if_better'`` (the
   default) it is promoted if it beats the current model on ``metric`` (default ``macro_f1`` on label-like data,
   else ``rouge_l``); a job that failed or was cancelled is left as it is;
3. if a job is still PENDING or IN_PROGRESS, nothing else happens (one training at a time);
4. otherwise a fresh snapshot is prepared from ``source`` (PREP_PREPARE with ``options.prepare``) and a job is
   started on it (PREP_FINETUNE with ``options.finetune``); if PREP_FINETUNE refuses the data, the step is recorded
   and then fails with that message, so the task's history shows it.

Each call is recorded in PREP_RUNS (``KIND = 'retrain'``) with the actions it took. Options: ``prepare``,
``finetune``, ``evaluate`` (PREP_EVALUATE's options), ``promote`` (``'if_better'`` or ``'never'``), ``metric``,
``registry_schema``.
"""

from __future__ import annotations

import json
from typing import Any

from prep.procs import evaluate, finetune, jobs, models, prepare
from prep.procs.common import new_run_id, procedure_options
from prep.procs.cortex import FINAL_STATUSES
from prep.procs.sql import (
    EVALS,
    JOBS,
    RUNS,
    Name,
    ProcError,
    dumps,
    insert_rows,
    record_table,
)
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)


def _registry(options: dict) -> dict:
    """Only ``registry_schema`` of ``options``: what the procedures called from here share."""
    return {"registry_schema": options["registry_schema"]} if "registry_schema" in options else {}


def _sub(options: dict, key: str) -> dict:
    value = options.get(key) or {}
    if not isinstance(value, dict):
        raise ProcError(f"{key} must be an object of that procedure's options")
    return {**value, **_registry(options)}


def _evaluate_job(session, options: dict, use_case: str, job_id: str, base_model: str, run_id: str) -> dict:
    """Evaluate a finished job against the current model and the base, on its own validation view; promote it
    when asked and it is better."""
    registry = _registry(options)
    runs = record_table(session, options, RUNS)
    found = session.sql(f"SELECT SUMMARY, DATASET FROM {runs.sql} WHERE RUN_ID = ? AND KIND = 'prepare'",
                        params=[run_id]).collect()
    if not found:
        return {"job_id": job_id, "evaluated": False, "why": f"its prepare run {run_id} is not in {runs.sql}"}
    views = json.loads(found[0][0])["views"]
    entries: list[Any] = [{"job_id": job_id}]
    current = evaluate.current_model(session, options, use_case)
    if current:
        entries.append({"use_case": use_case})
    entries.append(base_model)
    eval_options = {**_sub(options, "evaluate"), "view": ".".join(f'"{p}"' for p in views["validation"])}
    result = evaluate.run(session, found[0][1], entries, eval_options)
    done = {"job_id": job_id, "evaluated": True, "eval_id": result["eval_id"]}
    if options.get("promote", "if_better") == "if_better":
        metric = options.get("metric") or ("macro_f1" if result["label_like"] else "rouge_l")
        try:
            promoted = models.promote(session, use_case, job_id,
                                      {**registry, "require_better": metric, "eval_id": result["eval_id"]})
            done["promoted"] = promoted["model"]
        except ProcError as exc:
            done["not_promoted"] = str(exc)
    return done


def run(session: Session, source: str, dataset: str, use_case: str, base_model: str, options: dict) -> dict:
    options = procedure_options(options, "PREP_RETRAIN")
    if options.get("promote", "if_better") not in ("if_better", "never"):
        raise ProcError(f"promote must be 'if_better' or 'never', got {options.get('promote')!r}")
    key = evaluate.use_case_key(session, use_case)
    registry = _registry(options)
    table = record_table(session, options, JOBS)
    actions: list[dict[str, Any]] = []

    # 1. the registry brought up to date
    for job_id, stored in session.sql(f"SELECT JOB_ID, STATUS FROM {table.sql} WHERE USE_CASE = ?",
                                      params=[key]).collect():
        if stored not in FINAL_STATUSES:
            now = jobs.status(session, job_id, registry)["status"]
            actions.append({"job_id": job_id, "status": now, "was": stored})
    # 2. finished jobs evaluated once
    evals = record_table(session, options, EVALS)
    pending = session.sql(
        f"SELECT J.JOB_ID, J.BASE_MODEL, J.RUN_ID FROM {table.sql} AS J WHERE J.USE_CASE = ? AND J.STATUS = 'SUCCESS' "
        f"AND NOT EXISTS (SELECT 1 FROM {evals.sql} AS E WHERE E.JOB_ID = J.JOB_ID) ORDER BY J.CREATED_ON",
        params=[key],
    ).collect()
    for job_id, job_base, run_id in pending:
        actions.append(_evaluate_job(session, options, key, job_id, job_base, run_id))
    # 3. one training at a time
    running = session.sql(f"SELECT JOB_ID FROM {table.sql} WHERE USE_CASE = ? AND STATUS IN ('PENDING', "
                          "'IN_PROGRESS')", params=[key]).collect()
    refused = None
    if running:
        actions.append({"waiting_for": [r[0] for r in running]})
    else:  # 4. a fresh snapshot, and a job on it
        prepared = prepare.run(session, source, dataset, base_model, _sub(options, "prepare"))
        actions.append({"prepared": prepared["run_id"], "train": prepared["train"],
                        "validation": prepared["validation"], "excluded": prepared["excluded"]})
        try:
            started = finetune.run(session, dataset, use_case, base_model, _sub(options, "finetune"))
            actions.append({"started": started["job_id"], "model_name": started["model_name"],
                            "version": started["version"]})
        except ProcError as exc:
            refused = str(exc)
            actions.append({"refused": refused})
    step_id = new_run_id()
    summary = {"run_id": step_id, "kind": "retrain", "use_case": key, "actions": actions}
    insert_rows(session, record_table(session, options, RUNS),
                ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
                [(step_id, "retrain", source, Name.parse(dataset, "dataset").qualified(session).sql, base_model,
                  dumps(options), dumps(summary))])
    if refused:
        raise ProcError(f"retrain step {step_id}: {refused}")
    return summary
