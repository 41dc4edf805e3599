"""Versions, promotion and retirement of fine-tuned models.

- Versions: PREP_FINETUNE's ``model_name`` is the *use case*; each job asks FINETUNE for ``<use_case>_V<N>``, N
  the next free version of that use case in PREP_JOBS (:func:`next_version`); the model's final name is DESCRIBE's.
- ``CALL PREP_PROMOTE(use_case, model, options)`` records a promotion in PREP_MODELS (rows are only ever added, so
  the history is kept) and keeps the view ``PREP_CURRENT_MODELS`` (one row per use case: the model its application
  should call) over it. ``model`` is a fine-tuned model of a successful job of that use case (its final name or its
  job id). ``options.require_better = '<metric>'`` promotes only if an evaluation (``options.eval_id``, else the
  latest PREP_EVALS run that scored both) shows the model strictly better than the current one on that metric.
- ``CALL PREP_ROLLBACK(use_case, options)`` makes the model that was current before the current one current again.
- ``CALL PREP_UNUSED_MODELS(days, options)``: the fine-tuned models of PREP_JOBS with no inference in the last
  ``days`` days, from the ``PREP_MODEL_USAGE`` view of ``sql/cost.sql`` (which reads ACCOUNT_USAGE).
"""

from __future__ import annotations

import json
from typing import Any

from prep.procs.common import procedure_options
from prep.procs.evaluate import current_model, use_case_key
from prep.procs.sql import (
    EVALS,
    JOBS,
    MODELS,
    Name,
    ProcError,
    insert_rows,
    record_table,
)
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

CURRENT_VIEW = "PREP_CURRENT_MODELS"
USAGE_VIEW = "PREP_MODEL_USAGE"
LOWER_IS_BETTER = frozenset({"invalid_share", "credits", "credits_per_correct", "tokens"})


def next_version(session, jobs: Name, use_case: str) -> int:
    """1 + the highest version PREP_JOBS holds for ``use_case`` (1 for a new one)."""
    found = session.sql(f"SELECT MAX(VERSION) FROM {jobs.sql} WHERE USE_CASE = ?", params=[use_case]).collect()
    return int(found[0][0] or 0) + 1


def versioned_name(model_name: str, version: int) -> str:
    """The name FINETUNE is asked for: ``model_name`` as given (qualified or not) with ``_V<version>``."""
    name = Name.parse(model_name, "model_name").with_suffix(f"_V{version}")
    plain = all(p.isidentifier() and p.upper() == p for p in name.parts)
    return ".".join(name.parts) if plain else name.sql


def _candidate(session, jobs: Name, use_case: str, model: Any) -> tuple[str, int | None, str]:
    """(final model name, version, job id) of a successful job of ``use_case`` named by ``model``."""
    if not isinstance(model, str) or not model.strip():
        raise ProcError("model must be a fine-tuned model's name or its job id")
    found = session.sql(
        f"SELECT FINAL_MODEL, VERSION, JOB_ID, STATUS FROM {jobs.sql} WHERE USE_CASE = ? AND "
        "(UPPER(FINAL_MODEL) = UPPER(?) OR JOB_ID = ?) ORDER BY CREATED_ON DESC LIMIT 1",
        params=[use_case, model.strip(), model.strip()],
    ).collect()
    if not found:
        raise ProcError(f"{model!r} is not a model of use case {use_case} in {jobs.sql}: promote the final name "
                        "PREP_JOB_STATUS shows, or the job id")
    final, version, job_id, status = found[0]
    if status != "SUCCESS" or not final:
        raise ProcError(f"job {job_id} of {model!r} is {status}, not SUCCESS: only a trained model can be promoted")
    return final, (int(version) if version is not None else None), job_id


def _metric(metrics: dict, metric: str, model: str) -> float:
    value = metrics.get(metric)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ProcError(f"the evaluation has no {metric} for {model} (label metrics need label-like data)")
    return float(value)


def _beats(session, options: dict, metric: str, candidate: str, current: str | None) -> tuple[str, str]:
    """(eval id, reason) when an evaluation shows ``candidate`` better than ``current`` on ``metric``; else an
    error naming the figures."""
    evals = record_table(session, options, EVALS)
    wanted = [candidate] + ([current] if current else [])
    if options.get("eval_id"):
        eval_id = str(options["eval_id"])
    else:
        marks = ", ".join("?" for _ in wanted)
        found = session.sql(
            f"SELECT EVAL_ID FROM {evals.sql} WHERE UPPER(MODEL) IN ({marks}) GROUP BY EVAL_ID HAVING "
            f"COUNT(DISTINCT UPPER(MODEL)) = {len(wanted)} ORDER BY MAX(CREATED_ON) DESC LIMIT 1",
            params=[w.upper() for w in wanted],
        ).collect()
        if not found:
            both = f"both {candidate} and {current}" if current else candidate
            raise ProcError(f"no evaluation scored {both}: CALL PREP_EVALUATE with them first")
        eval_id = found[0][0]
    rows = session.sql(f"SELECT MODEL, METRICS FROM {evals.sql} WHERE EVAL_ID = ?", params=[eval_id]).collect()
    metrics = {str(m).upper(): json.loads(v) for m, v in rows}
    if candidate.upper() not in metrics or (current and current.upper() not in metrics):
        raise ProcError(f"evaluation {eval_id} did not score {' and '.join(wanted)}")
    new = _metric(metrics[candidate.upper()], metric, candidate)
    if not current:
        return eval_id, f"{metric} {new:.4g} in evaluation {eval_id}; no model was current"
    old = _metric(metrics[current.upper()], metric, current)
    better = new < old if metric in LOWER_IS_BETTER else new > old
    if not better:
        raise ProcError(f"{candidate} does not beat {current} on {metric} in evaluation {eval_id}: {new:.4g} against "
                        f"{old:.4g}; not promoted")
    return eval_id, f"{metric} {new:.4g} against {old:.4g} for {current} in evaluation {eval_id}"


def _record(session, options: dict, row: dict) -> Name:
    table = record_table(session, options, MODELS)
    seq = session.sql(f"SELECT COALESCE(MAX(SEQ), 0) + 1 FROM {table.sql} WHERE USE_CASE = ?",
                      params=[row["use_case"]]).collect()[0][0]
    columns = ["USE_CASE", "SEQ", "EVENT", "MODEL", "VERSION", "JOB_ID", "PREVIOUS_MODEL", "EVAL_ID", "REASON"]
    insert_rows(session, table, columns, [(row["use_case"], int(seq), row["event"], row["model"], row["version"],
                                           row["job_id"], row["previous"], row.get("eval_id"), row["reason"])])
    view = table.sibling(CURRENT_VIEW)
    session.sql(
        f"CREATE OR REPLACE VIEW {view.sql} AS SELECT USE_CASE, MODEL, VERSION, JOB_ID, EVENT, CREATED_ON AS SINCE "
        f"FROM {table.sql} QUALIFY ROW_NUMBER() OVER (PARTITION BY USE_CASE ORDER BY SEQ DESC) = 1"
    ).collect()
    return view


def promote(session: Session, use_case: str, model: str, options: dict) -> dict:
    options = procedure_options(options, "PREP_PROMOTE")
    key = use_case_key(session, use_case)
    jobs = record_table(session, options, JOBS)
    final, version, job_id = _candidate(session, jobs, key, model)
    current = current_model(session, options, key)
    if current and str(current["model"]).upper() == final.upper():
        raise ProcError(f"{final} is already the current model of {key}")
    eval_id, reason = None, "promoted without an evaluation check"
    metric = options.get("require_better")
    if metric is not None:
        if not isinstance(metric, str) or not metric:
            raise ProcError("require_better must name a metric, such as 'macro_f1' or 'rouge_l'")
        eval_id, reason = _beats(session, options, metric, final, current["model"] if current else None)
    view = _record(session, options, {"use_case": key, "event": "promote", "model": final, "version": version,
                                      "job_id": job_id, "previous": current["model"] if current else None,
                                      "eval_id": eval_id, "reason": reason})
    return {"use_case": key, "model": final, "version": version, "job_id": job_id,
            "previous": current["model"] if current else None, "eval_id": eval_id, "reason": reason,
            "view": list(view.parts)}


def rollback(session: Session, use_case: str, options: dict) -> dict:
    options = procedure_options(options, "PREP_ROLLBACK")
    key = use_case_key(session, use_case)
    current = current_model(session, options, key)
    if current is None:
        raise ProcError(f"use case {key} has no current model to roll back")
    if not current["previous"]:
        raise ProcError(f"{current['model']} is the first model of {key}: there is no earlier one to roll back to")
    table = record_table(session, options, MODELS)
    # the target's own entry tells what was current before it, so a second rollback goes one further back
    found = session.sql(
        f"SELECT VERSION, JOB_ID, PREVIOUS_MODEL FROM {table.sql} WHERE USE_CASE = ? AND MODEL = ? "
        "ORDER BY SEQ DESC LIMIT 1", params=[key, current["previous"]],
    ).collect()
    version, job_id, before = found[0] if found else (None, None, None)
    view = _record(session, options, {"use_case": key, "event": "rollback", "model": current["previous"],
                                      "version": version, "job_id": job_id, "previous": before,
                                      "reason": f"rollback from {current['model']}"})
    return {"use_case": key, "model": current["previous"], "version": version, "job_id": job_id,
            "rolled_back": current["model"], "view": list(view.parts)}


def unused(session: Session, days: int, options: dict) -> dict:
    options = procedure_options(options, "PREP_UNUSED_MODELS")
    try:  # a NUMBER argument arrives as an int or a Decimal
        whole = int(days) if not isinstance(days, (bool, str)) and days == int(days) else None
    except (TypeError, ValueError, ArithmeticError):
        whole = None
    if whole is None or not 1 <= whole <= 3650:
        raise ProcError(f"days must be a whole number of days from 1 to 3650, got {days!r}")
    days = whole
    view = record_table(session, options, JOBS).sibling(USAGE_VIEW)
    try:
        rows = session.sql(
            f"SELECT MODEL, USE_CASE, VERSION, JOB_ID, LAST_INFERENCE, INFERENCE_CREDITS FROM {view.sql} "
            "WHERE LAST_INFERENCE IS NULL OR LAST_INFERENCE < DATEADD('day', ?, CURRENT_TIMESTAMP()) ORDER BY MODEL",
            params=[-int(days)],
        ).collect()
    except Exception as exc:  # the view is missing: sql/cost.sql was not run
        raise ProcError(f"{view.sql} cannot be read ({str(exc).strip().splitlines()[0][:200] if str(exc).strip() else exc}):"
                        " run sql/cost.sql as an administrator first") from None
    current = set()
    try:
        current = {str(r[0]).upper() for r in session.sql(
            f"SELECT MODEL FROM {record_table(session, options, MODELS).sibling(CURRENT_VIEW).sql}").collect()}
    except Exception:  # nothing promoted yet: no view
        pass
    models = [{"model": m, "use_case": u, "version": v, "job_id": j, "last_inference": str(t) if t else None,
               "inference_credits": float(c or 0), "current": str(m).upper() in current} for m, u, v, j, t, c in rows]
    return {"days": int(days), "unused": models,
            "note": "a current model is listed when unused, but should be replaced before it is dropped"}
