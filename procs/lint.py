"""``CALL PREP_LINT(source, base_model, options)``: lint a table, view or SELECT where it is."""

from __future__ import annotations

from prep.procs.common import describe_source, new_run_id, read_frame, settings_for
from prep.procs.pushdown import not_pushed, pushdown
from prep.procs.sql import FINDINGS, RUNS, as_options, dumps, insert_rows, record_table
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

import prep


def run(session: Session, source: str, base_model: str, options: dict) -> dict:
    """Lint ``source`` against ``base_model``; write its findings to PREP_FINDINGS and a summary to PREP_RUNS
    (created if missing); return the summary with its run id."""
    options = as_options(options)
    settings = settings_for(options, base_model, "PREP_LINT")
    described = describe_source(session, source, settings)
    pushed = (pushdown(session, options, settings, described.indexed(), described.text) if described.mapped
              else not_pushed("no prompt or completion column"))
    frame = read_frame(session, described.ordered())
    result = prep.lint(prep.load(frame, settings, name=source), settings=settings, given=pushed.given)
    run_id = new_run_id()
    findings_table = record_table(session, options, FINDINGS)
    runs_table = record_table(session, options, RUNS)
    insert_rows(
        session,
        findings_table,
        ["RUN_ID", "CODE", "NAME", "SEVERITY", "SOURCE", "ROW_INDEX", "FIELD", "MESSAGE", "DATA"],
        [
            (run_id, f.code, f.name, f.severity.value, f.source, f.row, f.field, f.message, dumps(f.data))
            for f in result.findings
        ],
    )
    summary = {
        "run_id": run_id,
        "kind": "lint",
        "source": source,
        "base_model": base_model,
        "rows": sum(s.n_records for s in result.sources),
        "summary": result.summary(),
        "fits": [fit.to_dict() for fit in result.fits],
        "exit_code": result.exit_code,
        "pushdown": pushed.summary,
    }
    insert_rows(
        session,
        runs_table,
        ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
        [(run_id, "lint", source, None, base_model, dumps(options), dumps(summary))],
    )
    return summary
