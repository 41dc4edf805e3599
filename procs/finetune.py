"""``CALL PREP_FINETUNE(dataset, model_name, base_model, options)``: start a fine-tune on clean data only.

``model_name`` names the use case: the job asks for ``<model_name>_V<N>``, N the next free version of that use case
in PREP_JOBS (:mod:`prep.procs.models`); DESCRIBE gives the final name, which PREP_JOB_STATUS records.

Refuses, with a clear message, unless:

- the dataset (its quoted, fully qualified name) has a prepare run (the latest one counts), made for this base
  model;
- that run left no error findings in its train and validation views (option ``force = true`` overrides this
  check, and the job records that it was forced);
- the training rows fit the base model, with the prepare run's catalog overrides: no row over a budget, within the
  data cap, and within the row limit at ``max_epochs`` (option, 1 to 10, default 3);
- the run's views still hold what was prepared: their fingerprint, recomputed in SQL now, equals the one recorded
  (both are named on a mismatch).

Then calls ``FINETUNE('CREATE', ...)`` through :mod:`prep.procs.cortex` on the run's own views, which never change, and
records the job (id, requested model name, base model, dataset, fingerprint, run id, options, backend) in
PREP_JOBS.
"""

from __future__ import annotations

import json
from typing import Any

from prep.procs import cortex
from prep.procs.common import procedure_options
from prep.procs.prepare import fingerprint
from prep.procs.sql import JOBS, RUNS, Name, ProcError, dumps, insert_rows, record_table
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

from prep.catalog import load_catalog
from prep.config import DEFAULT_EPOCHS, MAX_EPOCHS
from prep.engine.fit import Fit


def latest_prepare(session, options: dict[str, Any], dataset: Name) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(summary, options) of the dataset's latest prepare run, or None."""
    runs = record_table(session, options, RUNS)
    found = session.sql(
        f"SELECT SUMMARY, OPTIONS FROM {runs.sql} WHERE KIND = 'prepare' AND DATASET = ? ORDER BY CREATED_ON DESC "
        "LIMIT 1",
        params=[dataset.sql],
    ).collect()
    return (json.loads(found[0][0]), json.loads(found[0][1] or "{}")) if found else None


def _fit_problems(run_info: dict[str, Any], spec, max_epochs: int) -> list[str]:
    """Why the prepared training data does not fit ``spec`` at ``max_epochs``: the engine's one fit, judged on the
    fit the prepare run recorded (of its train output) and the run's train row count."""
    recorded = {**(run_info.get("fit") or {}), "rows": int(run_info["train"])}
    return Fit.from_dict(recorded, spec, max_epochs).problems()


def run(session: Session, dataset: str, model_name: str, base_model: str, options: dict) -> dict:
    options = procedure_options(options, "PREP_FINETUNE")
    name = Name.parse(dataset, "dataset").qualified(session)
    Name.parse(model_name, "model_name")  # validated here; passed to FINETUNE as a literal
    from prep.procs.evaluate import use_case_key
    from prep.procs.models import next_version, versioned_name

    use_case = use_case_key(session, model_name)
    max_epochs = options.get("max_epochs", DEFAULT_EPOCHS)
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or not 1 <= max_epochs <= MAX_EPOCHS:
        raise ProcError(f"max_epochs must be an integer from 1 to {MAX_EPOCHS}, got {max_epochs!r}")
    force = options.get("force", False) is True

    found = latest_prepare(session, options, name)
    label = name.sql
    if found is None:
        raise ProcError(f"dataset {label} has no prepare run: CALL PREP_PREPARE(source, '{name.last}', ...) first")
    run_info, prepare_options = found
    catalog = load_catalog(prepare_options.get("catalog"), "the prepare run's options: catalog")
    if base_model not in catalog:
        raise ProcError(f"unknown base model {base_model!r}; known: {', '.join(catalog)}")
    if run_info["base_model"] != base_model:
        raise ProcError(
            f"dataset {label} was prepared for {run_info['base_model']}, not {base_model}: prepare it again for "
            f"{base_model}"
        )
    errors = run_info.get("output_errors") or {}
    if errors and not force:
        listed = ", ".join(f"{code} {n}" for code, n in sorted(errors.items()))
        raise ProcError(
            f"dataset {label} has error findings in its train or validation data ({listed}); fix and prepare again, "
            "or pass force = true"
        )
    problems = _fit_problems(run_info, catalog[base_model], max_epochs)
    if problems:
        raise ProcError(f"dataset {label} does not fit {base_model}: {'; '.join(problems)}")

    train, validation = (Name(tuple(run_info["views"][split])) for split in ("train", "validation"))
    now = fingerprint(session, train, validation)
    if now != run_info["fingerprint"]:
        raise ProcError(
            f"the views of prepare run {run_info['run_id']} changed since it ran: fingerprint {run_info['fingerprint']} "
            f"then, {now} now; prepare the dataset again"
        )
    training_query = f"SELECT PROMPT, COMPLETION FROM {train.sql}"
    validation_query = f"SELECT PROMPT, COMPLETION FROM {validation.sql}" if int(run_info["validation"]) > 0 else None
    fine_tune_options = {"max_epochs": max_epochs}
    jobs = record_table(session, options, JOBS)
    version = next_version(session, jobs, use_case)
    requested = versioned_name(model_name, version)
    client = cortex.client(session)
    job_id = client.create(requested, base_model, training_query, validation_query, fine_tune_options)

    insert_rows(
        session,
        jobs,
        ["JOB_ID", "MODEL_NAME", "BASE_MODEL", "DATASET", "DATASET_FINGERPRINT", "RUN_ID", "OPTIONS", "FORCED",
         "STATUS", "BACKEND", "USE_CASE", "VERSION"],
        [(job_id, requested, base_model, label, now, run_info["run_id"], dumps(options), force, "PENDING",
          client.backend, use_case, version)],
    )
    return {
        "job_id": job_id,
        "model_name": requested,
        "use_case": use_case,
        "version": version,
        "base_model": base_model,
        "dataset": label,
        "dataset_fingerprint": now,
        "run_id": run_info["run_id"],
        "training_query": training_query,
        "validation_query": validation_query,
        "options": fine_tune_options,
        "forced": force,
        "backend": client.backend,
    }
