"""``CALL PREP_PREPARE(source, dataset, base_model, options)``: an immutable snapshot, its split, and its views.

Each run builds its own snapshot on the server, ``<dataset>_ROWS_<run>``, with ``CREATE TABLE ... AS SELECT`` from
the source: every row with its index, its content hash (``SHA2``) and its prompt and completion, the index being
the row's rank by that hash, so the same rows get the same indices (and the same split) whatever order the
warehouse scans them in. prep reads the snapshot back, lints and splits it as ``prep prepare`` does
(:func:`prep.prepare.prepare_data`), and writes only its decisions: the split and exclusion reasons of the rows that
are not plain training rows, and the redacted text of rows with PII, which replaces the raw text in the snapshot.
The run's views read only its snapshot and never change:

- ``<dataset>_TRAIN_<run>`` and ``<dataset>_VALIDATION_<run>``: exactly ``prompt, completion``;
- ``<dataset>_EXCLUDED_<run>``: every row left out, with its index and reasons.

``<dataset>_TRAIN`` / ``_VALIDATION`` / ``_EXCLUDED`` point at the latest run's views, for people; a fine-tuning job
trains on the run's own views, whose fingerprint (:func:`fingerprint_sql`, independent of row order) PREP_FINETUNE
recomputes before it starts. Options: ``validation_fraction``, ``seed``, ``pii``, ``duplicates``, ``errors``,
``registry_schema``, and any prep setting.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from prep.procs.common import (
    SourceQuery,
    describe_source,
    new_run_id,
    quote_identifier,
    read_frame,
    settings_for,
)
from prep.procs.pushdown import Pushdown, give_measures, pushdown
from prep.procs.sql import (
    RUNS,
    Name,
    ProcError,
    as_options,
    dumps,
    insert_rows,
    record_table,
    subquery,
)
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

import prep
from prep.errors import ConfigError
from prep.prepare import PrepareOptions, prepare_data
from prep.quoting import quote_values

SPLITS = ("train", "validation", "excluded")


def run_views(dataset: Name, run_id: str) -> dict[str, Name]:
    """The objects of one prepare run (per-run names: a later run never changes them)."""
    tag = run_id.upper()
    return {
        "rows": dataset.with_suffix(f"_ROWS_{tag}"),
        "decisions": dataset.with_suffix(f"_DECISIONS_{tag}"),
        "train": dataset.with_suffix(f"_TRAIN_{tag}"),
        "validation": dataset.with_suffix(f"_VALIDATION_{tag}"),
        "excluded": dataset.with_suffix(f"_EXCLUDED_{tag}"),
    }


def latest_views(dataset: Name) -> dict[str, Name]:
    return {split: dataset.with_suffix(f"_{split.upper()}") for split in SPLITS}


def fingerprint_sql(train: Name, validation: Name) -> str:
    """SQL giving one SHA-256 over the rows of the two views, independent of their order: rows are hashed with
    their split, grouped by the hash's first characters, each group's sorted hashes hashed, and the groups' hashes
    hashed in order (two levels, so that no LISTAGG holds more than a 4,096th of the rows)."""
    rows = " UNION ALL ".join(
        f"SELECT '{tag}' || SHA2(COALESCE(PROMPT, CHR(30)) || CHR(31) || COALESCE(COMPLETION, CHR(30)), 256) AS H "
        f"FROM {view.sql}"
        for tag, view in (("T", train), ("V", validation))
    )
    groups = (
        f"SELECT SUBSTR(H, 1, 4) AS P, SHA2(LISTAGG(H, ',') WITHIN GROUP (ORDER BY H), 256) AS G "
        f"FROM ({rows}) AS HASHED GROUP BY SUBSTR(H, 1, 4)"
    )
    return f"SELECT SHA2(COALESCE(LISTAGG(P || G, ',') WITHIN GROUP (ORDER BY P), ''), 256) FROM ({groups}) AS GROUPS"


def fingerprint(session, train: Name, validation: Name) -> str:
    return str(session.sql(fingerprint_sql(train, validation)).collect()[0][0])


def _options(options: dict[str, Any]) -> PrepareOptions:
    try:
        return PrepareOptions.from_mapping(options)
    except ConfigError as exc:
        raise ProcError(f"options: {exc}") from None


def _snapshot(session, source: SourceQuery, table: Name) -> None:
    """The run's snapshot, built by the server from the user's own query."""
    if not source.mapped:
        wanted = [c for c, found in (("prompt", source.prompt), ("completion", source.completion)) if found is None]
        listed = ", ".join(quote_values(source.columns[:20])) or "none"
        raise ProcError(
            f"source has no {' and no '.join(repr(w) for w in wanted)} column; columns: {listed} (map them with the "
            "options prompt-col / completion-col, or alias them in the SELECT)"
        )
    # rows with one hash have one content, so the order among them changes nothing
    session.sql(
        f"CREATE TABLE {table.sql} AS SELECT ROW_NUMBER() OVER (ORDER BY ROW_HASH) - 1 AS ROW_INDEX, ROW_HASH, PROMPT, "
        "COMPLETION, CAST('train' AS VARCHAR) AS SPLIT, CAST(NULL AS VARCHAR) AS REASONS "
        f"FROM (SELECT {source.row_hash()} AS ROW_HASH, SRC.{quote_identifier(source.prompt)} AS PROMPT, "
        f"SRC.{quote_identifier(source.completion)} AS COMPLETION FROM {subquery(source.query)}) AS HASHED"
    ).collect()


def _write_decisions(session, names: dict[str, Name], prepared, text: tuple[bool, bool]) -> None:
    """Split and reasons of every row that is not a plain training row, and the redacted text of rows with PII,
    into the snapshot (through a decisions table: bound values, a few rows per hundred)."""
    rows = prepared.frame.filter((pl.col("split") != "train") | pl.col("redacted"))
    records = [
        (row, split, dumps(reasons) if reasons else None, prompt if redacted else None, completion if redacted else None)
        for row, split, reasons, prompt, completion, redacted in rows.select(
            "row", "split", "reasons", "prompt", "completion", "redacted"
        ).iter_rows()
    ]
    decisions = names["decisions"]
    session.sql(
        f"CREATE TABLE {decisions.sql} (ROW_INDEX NUMBER, SPLIT VARCHAR, REASONS VARCHAR, PROMPT VARCHAR, "
        "COMPLETION VARCHAR)"
    ).collect()
    insert_rows(session, decisions, ["ROW_INDEX", "SPLIT", "REASONS", "PROMPT", "COMPLETION"], records)
    rows = names["rows"].sql
    texts = [f"{column} = COALESCE(D.{column}, {rows}.{column})"
             for column, is_text in (("PROMPT", text[0]), ("COMPLETION", text[1])) if is_text]
    if records:
        session.sql(
            f"UPDATE {rows} SET SPLIT = D.SPLIT, REASONS = D.REASONS{''.join(', ' + t for t in texts)} "
            f"FROM {decisions.sql} AS D WHERE {rows}.ROW_INDEX = D.ROW_INDEX"
        ).collect()
    session.sql(f"DROP TABLE IF EXISTS {decisions.sql}").collect()


def _create_views(session, names: dict[str, Name], latest: dict[str, Name]) -> None:
    rows = names["rows"].sql
    for split in ("train", "validation"):
        session.sql(
            f"CREATE VIEW {names[split].sql} AS SELECT TO_VARCHAR(PROMPT) AS PROMPT, TO_VARCHAR(COMPLETION) AS "
            f"COMPLETION FROM {rows} WHERE SPLIT = '{split}'"
        ).collect()
    session.sql(
        f"CREATE VIEW {names['excluded'].sql} AS SELECT ROW_INDEX, TO_VARCHAR(PROMPT) AS PROMPT, TO_VARCHAR(COMPLETION) "
        f"AS COMPLETION, REASONS FROM {rows} WHERE SPLIT = 'excluded'"
    ).collect()
    for split in SPLITS:
        session.sql(f"CREATE OR REPLACE VIEW {latest[split].sql} AS SELECT * FROM {names[split].sql}").collect()


def _output_errors(prepared, settings, pushed: Pushdown) -> tuple[dict[str, int], Any]:
    """The outputs linted again: PREP_FINETUNE refuses a run whose train or validation data still has errors.
    With PII detected in the warehouse, the outputs' detections are those of their snapshot rows, and only the
    redacted texts (changed since) are detected again, here."""

    outputs = {"train": prepared.train, "validation": prepared.validation}
    validation = prepared.validation.select("prompt", "completion")
    relint = prep.lint(
        prep.load(prepared.train.select("prompt", "completion"), settings, name="train"),
        validation=prep.load(validation, settings, role="validation", name="validation") if validation.height else None,
        settings=settings,
        given=None if pushed.given is None else give_measures(pushed.found, pushed.counts, outputs),
    )
    errors: dict[str, int] = {}
    for f in relint.findings:
        if f.severity.value == "error":
            errors[f.code] = errors.get(f.code, 0) + 1
    return errors, relint


def run(session: Session, source: str, dataset: str, base_model: str, options: dict) -> dict:
    options = as_options(options)
    settings = settings_for(options, base_model, "PREP_PREPARE")
    prepare_options = _options(options)
    dataset_name = Name.parse(dataset, "dataset").qualified(session)
    described = describe_source(session, source, settings)
    run_id = new_run_id()
    names = run_views(dataset_name, run_id)

    _snapshot(session, described, names["rows"])
    rows_sql = f"SELECT ROW_INDEX, PROMPT, COMPLETION FROM {names['rows'].sql}"
    pushed = pushdown(session, options, settings, rows_sql, described.text)
    frame = read_frame(session, f"{rows_sql} ORDER BY ROW_INDEX").select("PROMPT", "COMPLETION")
    settings = settings.with_overrides(prompt_col="PROMPT", completion_col="COMPLETION")  # the snapshot's columns
    prepared = prepare_data(prep.load(frame, settings, name=source), settings=settings, options=prepare_options,
                            given=pushed.given)
    output_errors, relint = _output_errors(prepared, settings, pushed)
    _write_decisions(session, names, prepared, described.text)
    latest = latest_views(dataset_name)
    _create_views(session, names, latest)

    fit = next((f.to_dict() for f in relint.fits if f.model.name == base_model), None)
    counts = prepared.manifest["counts"]
    summary = {
        "run_id": run_id,
        "kind": "prepare",
        "source": source,
        "dataset": dataset_name.last,
        "dataset_key": dataset_name.sql,
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
        "fingerprint": fingerprint(session, names["train"], names["validation"]),
        "fit": fit,
        "snapshot": list(names["rows"].parts),
        "views": {split: list(names[split].parts) for split in SPLITS},
        "latest_views": {split: list(latest[split].parts) for split in SPLITS},
        "lint": prepared.manifest["lint"]["by_code"],
        "pushdown": pushed.summary,
    }
    insert_rows(
        session,
        record_table(session, options, RUNS),
        ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
        [(run_id, "prepare", source, dataset_name.sql, base_model, dumps(options), dumps(summary))],
    )
    return summary
