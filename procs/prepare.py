"""``CALL PREP_PREPARE(source, dataset, base_model, options)``: snapshot, split, and the three views.

The rows are read once and snapshotted into ``<dataset>_ROWS`` with each row's content hash (``SHA2``), split
(train, validation, excluded), exclusion reasons and run id; the views ``<dataset>_TRAIN`` and
``<dataset>_VALIDATION`` (exactly ``prompt, completion``) and ``<dataset>_EXCLUDED`` (with the reasons) read the
snapshot, so what was linted is what trains even if the source changes later. The split, exclusions and
redaction are ``prep prepare``'s (:func:`prep.prepare.prepare_data`); options: ``validation_fraction``,
``seed``, ``pii``, ``duplicates``, ``errors``, and any prep setting.
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

import prep
from prep.prepare import PrepareOptions, prepare_data
from procs.common import new_run_id, one_process, read_source, settings_for
from procs.sql import RUNS, Name, ProcError, as_options, dumps, insert_rows, registry

SNAPSHOT_COLUMNS = "ROW_HASH VARCHAR, ROW_INDEX NUMBER, PROMPT VARCHAR, COMPLETION VARCHAR, SPLIT VARCHAR, REASONS VARCHAR, RUN_ID VARCHAR"


def views(dataset: Name) -> dict[str, Name]:
    return {
        "rows": dataset.with_suffix("_ROWS"),
        "train": dataset.with_suffix("_TRAIN"),
        "validation": dataset.with_suffix("_VALIDATION"),
        "excluded": dataset.with_suffix("_EXCLUDED"),
    }


def _options(options: dict[str, Any]) -> PrepareOptions:
    try:
        return PrepareOptions(
            validation_fraction=float(options.get("validation_fraction", 0.1)),
            seed=int(options.get("seed", 0)),
            pii=str(options.get("pii", "drop")),
            duplicates=str(options.get("duplicates", "keep-one")),
            errors=str(options.get("errors", "exclude")),
        )
    except (TypeError, ValueError) as exc:
        raise ProcError(f"options: {exc}") from None


@one_process
def run(session: Session, source: str, dataset: str, base_model: str, options: dict) -> dict:
    options = as_options(options)
    settings = settings_for(options, base_model)
    prepare_options = _options(options)
    names = views(Name.parse(dataset, "dataset").qualified(session))
    frame, _ = read_source(session, source)
    prepared = prepare_data(prep.load(frame, settings, name=source), settings=settings, options=prepare_options)
    run_id = new_run_id()

    # the outputs, linted again: finetune refuses a dataset whose train or validation still has errors
    train = [(r.prompt, r.completion) for r in prepared.train]
    validation = [(r.prompt, r.completion) for r in prepared.validation]

    def frame_of(pairs):
        return pl.DataFrame(
            {"prompt": [p for p, _ in pairs], "completion": [c for _, c in pairs]},
            schema={"prompt": pl.String, "completion": pl.String},
        )

    relint = prep.lint(
        prep.load(frame_of(train), settings, name="train"),
        validation=prep.load(frame_of(validation), settings, role="validation", name="validation") if validation else None,
        settings=settings,
    )
    output_errors: dict[str, int] = {}
    for f in relint.findings:
        if f.severity.value == "error":
            output_errors[f.code] = output_errors.get(f.code, 0) + 1

    # the snapshot
    records = []
    for r in prepared.rows:
        split = r.split if not r.reasons and r.split else "excluded"
        digest = hashlib.sha256(f"{r.prompt or ''}\x1f{r.completion or ''}".encode("utf-8", "surrogatepass")).hexdigest()
        records.append((digest, r.row, r.prompt, r.completion, split, dumps(sorted(r.reasons)), run_id))
    fingerprint = hashlib.sha256("".join(f"{row}:{split}:{h}\n" for h, row, _, _, split, _, _ in records).encode()).hexdigest()
    session.sql(f"CREATE OR REPLACE TABLE {names['rows'].sql} ({SNAPSHOT_COLUMNS})").collect()
    insert_rows(session, names["rows"], ["ROW_HASH", "ROW_INDEX", "PROMPT", "COMPLETION", "SPLIT", "REASONS", "RUN_ID"], records)
    # the content hash, as Snowflake computes it (matches the digest above for the same text)
    session.sql(
        f"UPDATE {names['rows'].sql} SET ROW_HASH = SHA2(COALESCE(PROMPT, '') || CHR(31) || COALESCE(COMPLETION, ''), 256)"
    ).collect()
    snapshot = names["rows"].sql
    for split in ("train", "validation"):
        session.sql(
            f"CREATE OR REPLACE VIEW {names[split].sql} AS SELECT PROMPT AS PROMPT, COMPLETION AS COMPLETION "
            f"FROM {snapshot} WHERE SPLIT = '{split}'"
        ).collect()
    session.sql(
        f"CREATE OR REPLACE VIEW {names['excluded'].sql} AS SELECT ROW_INDEX, PROMPT, COMPLETION, REASONS "
        f"FROM {snapshot} WHERE SPLIT = 'excluded'"
    ).collect()

    fit = next((f.to_dict() for f in relint.fits if f.model.name == base_model), None)
    counts = prepared.manifest["counts"]
    summary = {
        "run_id": run_id,
        "kind": "prepare",
        "source": source,
        "dataset": names["rows"].parts[-1][: -len("_ROWS")],
        "dataset_qualified": ".".join(names["rows"].parts)[: -len("_ROWS")],
        "base_model": base_model,
        "source_rows": counts["input_rows"],
        "train": counts["train"],
        "validation": counts["validation"],
        "excluded": counts["excluded"],
        "excluded_by_reason": counts["excluded_by_reason"],
        "redacted_rows": counts["redacted_rows"],
        "labels": prepared.manifest["labels"],
        "output_errors": output_errors,
        "unresolved_errors": prepared.manifest["unresolved_errors"],
        "fingerprint": fingerprint,
        "fit": fit,
        "views": {k: list(v.parts) for k, v in names.items()},
        "lint": prepared.manifest["lint"]["by_code"],
    }
    runs_table = registry(session, options, RUNS)
    insert_rows(
        session,
        runs_table,
        ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
        [(run_id, "prepare", source, summary["dataset_qualified"], base_model, dumps(options), dumps(summary))],
    )
    return summary
