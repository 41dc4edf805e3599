"""``CALL PREP_FINETUNE(dataset, model_name, base_model, options)``: start a fine-tune on clean data only.

Refuses, with a clear message, unless:

- the dataset has a prepare run (the latest one counts), made for this base model;
- that run left no error findings in the train and validation views (option ``force = true`` overrides this
  check, and the job records that it was forced);
- the training rows fit the base model: no row over a budget, within the data cap, and within the row limit at
  ``max_epochs`` (option, 1 to 10, default 3).

Then calls ``FINETUNE('CREATE', ...)`` through :mod:`procs.cortex` with the two views as queries (bound values)
and records the job (id, requested model name, base model, dataset fingerprint, run id, options) in PREP_JOBS.
"""

from __future__ import annotations

import json
from typing import Any

from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

from prep.catalog import load_catalog
from procs import cortex
from procs.sql import (
    JOBS,
    RUNS,
    Name,
    ProcError,
    as_options,
    dumps,
    insert_rows,
    registry,
)


def latest_prepare(session, options: dict[str, Any], dataset: Name) -> dict[str, Any] | None:
    runs = registry(session, options, RUNS)
    found = session.sql(
        f"SELECT SUMMARY FROM {runs.sql} WHERE KIND = 'prepare' AND DATASET = ? ORDER BY CREATED_ON DESC LIMIT 1",
        params=[".".join(dataset.parts)],
    ).collect()
    return json.loads(found[0][0]) if found else None


def run(session: Session, dataset: str, model_name: str, base_model: str, options: dict) -> dict:
    options = as_options(options)
    unknown = sorted(set(options) - {"max_epochs", "force", "registry_schema"})
    if unknown:
        from prep.catalog import did_you_mean

        raise ProcError(
            f"unknown option '{unknown[0]}'{did_you_mean(unknown[0], ['max_epochs', 'force', 'registry_schema'])}; "
            "options: max_epochs, force, registry_schema"
        )
    name = Name.parse(dataset, "dataset").qualified(session)
    Name.parse(model_name, "model_name")  # validated here; passed to FINETUNE as a bound value
    catalog = load_catalog()
    if base_model not in catalog:
        raise ProcError(f"unknown base model {base_model!r}; known: {', '.join(catalog)}")
    max_epochs = options.get("max_epochs", 3)
    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or not 1 <= max_epochs <= 10:
        raise ProcError(f"max_epochs must be an integer from 1 to 10, got {max_epochs!r}")
    force = options.get("force", False) is True

    run_info = latest_prepare(session, options, name)
    label = ".".join(name.parts)
    if run_info is None:
        raise ProcError(f"dataset {label} has no prepare run: CALL PREP_PREPARE(source, '{name.last}', ...) first")
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
    spec = catalog[base_model]
    fit = run_info.get("fit") or {}
    rows = int(run_info["train"])
    problems = []
    if rows == 0:
        problems.append("no training rows")
    over = int(fit.get("rows_over_prompt_budget", 0)) + int(fit.get("rows_over_completion_budget", 0))
    if over:
        problems.append(f"{over} rows over {base_model}'s token budgets would be truncated")
    if int(fit.get("data_bytes", 0)) > spec.data_cap_bytes:
        problems.append(f"{fit['data_bytes']:,} bytes, over the {spec.data_cap_bytes:,}-byte cap")
    if rows > spec.row_limit(max_epochs):
        problems.append(f"{rows:,} rows, over the limit of {spec.row_limit(max_epochs):,} at {max_epochs} epochs")
    if problems:
        raise ProcError(f"dataset {label} does not fit {base_model}: {'; '.join(problems)}")

    views = run_info["views"]
    training_query = f"SELECT PROMPT AS PROMPT, COMPLETION AS COMPLETION FROM {Name(tuple(views['train'])).sql}"
    validation_query = None
    if int(run_info["validation"]) > 0:
        validation_query = (
            f"SELECT PROMPT AS PROMPT, COMPLETION AS COMPLETION FROM {Name(tuple(views['validation'])).sql}"
        )
    fine_tune_options = {"max_epochs": max_epochs}
    job_id = cortex.client(session).create(model_name, base_model, training_query, validation_query, fine_tune_options)

    jobs = registry(session, options, JOBS)
    insert_rows(
        session,
        jobs,
        ["JOB_ID", "MODEL_NAME", "BASE_MODEL", "DATASET", "DATASET_FINGERPRINT", "RUN_ID", "OPTIONS", "FORCED", "STATUS"],
        [(job_id, model_name, base_model, label, run_info["fingerprint"], run_info["run_id"], dumps(options), force, "PENDING")],
    )
    return {
        "job_id": job_id,
        "model_name": model_name,
        "base_model": base_model,
        "dataset": label,
        "dataset_fingerprint": run_info["fingerprint"],
        "run_id": run_info["run_id"],
        "training_query": training_query,
        "validation_query": validation_query,
        "options": fine_tune_options,
        "forced": force,
    }
