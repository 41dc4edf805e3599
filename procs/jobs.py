"""``CALL PREP_JOB_STATUS(job_id, options)``, ``PREP_JOB_CANCEL(job_id, options)``, ``PREP_JOBS_LIST(options)``: the
job registry. ``options.registry_schema`` names the schema whose PREP_JOBS recorded the job (default: the current
schema); a job id that registry does not hold is an error, never a silent no-op.

Snowflake garbage-collects FINETUNE('SHOW'), so PREP_JOBS keeps every job this tool started. DESCRIBE is parsed
tolerantly (unknown keys and statuses are kept, never fatal), and the final model name is read from its ``model``
field (Snowflake may have appended a suffix to the requested name).
"""

from __future__ import annotations

from typing import Any

from prep.procs import cortex
from prep.procs.common import job_options
from prep.procs.sql import JOBS, Name, ProcError, dumps, record_table
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)


def _job_id(job_id: Any) -> str:
    if not isinstance(job_id, str) or not job_id.strip() or len(job_id) > 200:
        raise ProcError("job_id must be the id FINETUNE returned")
    return job_id.strip()


def _registered(session, options: dict, job_id: str) -> Name:
    """The jobs table of ``options["registry_schema"]`` (default: the current schema), if it holds ``job_id``."""
    jobs = record_table(session, options, JOBS)
    if not session.sql(f"SELECT 1 FROM {jobs.sql} WHERE JOB_ID = ? LIMIT 1", params=[job_id]).collect():
        where = options.get("registry_schema") or "the current schema"
        raise ProcError(
            f"job {job_id!r} is not in {jobs.sql} (registry_schema: {where}); PREP_JOBS_LIST shows the jobs prep "
            "started, and options.registry_schema names where they were recorded"
        )
    return jobs


def status(session: Session, job_id: str, options: dict) -> dict:
    options = job_options(options, "PREP_JOB_STATUS")
    job_id = _job_id(job_id)
    jobs = _registered(session, options, job_id)
    described = cortex.client(session).describe(job_id)
    session.sql(
        f"UPDATE {jobs.sql} SET STATUS = ?, FINAL_MODEL = COALESCE(?, FINAL_MODEL), LAST_DESCRIBE = ?, "
        "UPDATED_ON = CURRENT_TIMESTAMP() WHERE JOB_ID = ?",
        params=[described["status"], described.get("model"), dumps(described), job_id],
    ).collect()
    return {"job_id": job_id, **described}


def cancel(session: Session, job_id: str, options: dict) -> dict:
    options = job_options(options, "PREP_JOB_CANCEL")
    job_id = _job_id(job_id)
    jobs = _registered(session, options, job_id)
    message = cortex.client(session).cancel(job_id)
    session.sql(
        f"UPDATE {jobs.sql} SET STATUS = 'CANCELLED', UPDATED_ON = CURRENT_TIMESTAMP() WHERE JOB_ID = ?",
        params=[job_id],
    ).collect()
    return {"job_id": job_id, "message": message}


def list(session: Session, options: dict) -> dict:  # noqa: A001 - the handler's name in the issue
    """The registry's jobs, newest first, with the live status of those FINETUNE('SHOW') still lists."""
    options = job_options(options, "PREP_JOBS_LIST")
    live = {str(j.get("id")): j for j in cortex.client(session).show()}
    jobs = record_table(session, options, JOBS)
    rows = session.sql(
        f"SELECT JOB_ID, MODEL_NAME, FINAL_MODEL, BASE_MODEL, DATASET, DATASET_FINGERPRINT, RUN_ID, FORCED, STATUS, "
        f"BACKEND FROM {jobs.sql} ORDER BY CREATED_ON DESC"
    ).collect()
    out = []
    for job_id, model_name, final_model, base_model, dataset, fingerprint, run_id, forced, stored, backend in rows:
        shown = live.pop(job_id, None)
        out.append({
            "job_id": job_id, "model_name": model_name, "final_model": final_model, "base_model": base_model,
            "dataset": dataset, "dataset_fingerprint": fingerprint, "run_id": run_id, "forced": bool(forced),
            "status": str((shown or {}).get("status") or stored), "backend": backend,
        })
    unknown = [{"job_id": k, "status": str(v.get("status")), "base_model": v.get("base_model"), "registered": False}
               for k, v in live.items()]
    return {"jobs": out, "not_in_registry": unknown}
