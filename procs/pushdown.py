"""Per-row work pushed into the warehouse.

When prep's vectorized UDFs are deployed (procs/udfs.py, in the procedures' schema), PREP_LINT and PREP_PREPARE
detect PII with ``PREP_PII`` in one ``SELECT`` over the rows: Snowflake runs the function on batches of rows on
every node of the warehouse, and only the rows with detections come back to the procedure (masked values,
never raw ones). The run is given them (:mod:`prep.measures.pii.given`) and the PII rule reports them as if it
had detected them itself. PII detection is most of a run's work (about two thirds of ``prep lint`` on the
200 MB benchmark file), and the rest of the engine stays in the procedure.

The procedure detects in its own process instead, with the same findings, when the functions are not there
(not deployed, not visible to the caller's role, or fakesnow, which runs no Python UDF), when a source column is
not text, when no rule detects with PREP_PII's detector (PI001 left out, or configured with other types, scores
or regions), or when the option ``functions`` is ``false``. The summary says which happened.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from snowflake.snowpark.exceptions import SnowparkSQLException

from prep.dataset import TEXT_FIELDS
from prep.engine.run import Given, plan
from prep.measures.pii.given import provide_detections
from prep.measures.pii.masking import Detection
from procs.common import read_frame
from procs.definition import DATABASE, SCHEMA
from procs.sql import Name, ProcError

PII_FUNCTION = "PREP_PII"


@dataclass(frozen=True)
class Pushdown:
    """What a procedure gives its run, and what its summary says about it."""

    given: Given | None
    summary: dict[str, Any]
    found: dict[str, dict[int, list[Detection]]] | None = None  # by field and row, when pushed down


def functions_schema(options: dict[str, Any]) -> Name | None:
    """The schema option ``functions`` names (default: where the deploy puts the functions), or None for false."""
    value = options.get("functions", f"{DATABASE}.{SCHEMA}")
    if value is False or value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ProcError("option 'functions' must be the schema of prep's functions (database.schema), or false")
    name = Name.parse(value, "option 'functions'")
    if len(name.parts) != 2:
        raise ProcError(f"option 'functions' must name a schema as database.schema, got {value!r}")
    return name


def deployed(session, schema: Name, function: str) -> bool:
    """Whether ``schema`` holds a function ``function`` the caller may see."""
    try:
        return bool(session.sql(f"SHOW USER FUNCTIONS LIKE '{function}' IN SCHEMA {schema.sql}").collect())
    except SnowparkSQLException:  # no such schema, or not visible to this role
        return False


def pii_query(function: Name, rows_sql: str) -> str:
    """SQL: ``ROW_INDEX`` and the detections in ``PROMPT`` and ``COMPLETION`` of the rows of ``rows_sql`` (a query
    with those three columns) that have any."""
    return (
        f"SELECT ROW_INDEX, P, C FROM (SELECT ROW_INDEX, {function.sql}(PROMPT) AS P, {function.sql}(COMPLETION) AS C "
        f"FROM ({rows_sql}) AS R) AS D WHERE ARRAY_SIZE(P) > 0 OR ARRAY_SIZE(C) > 0"
    )


def _detections(value: Any) -> list[Detection]:
    """An ARRAY of detections as the function returns it (JSON text in Arrow results, or a list)."""
    if value is None:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [Detection(d["entity"], int(d["start"]), int(d["end"]), float(d["score"]), d["masked"]) for d in items]


def pushed_pii(session, function: Name, rows_sql: str) -> dict[str, dict[int, list[Detection]]]:
    """Detections by field and row, computed by ``function`` in the warehouse."""
    found: dict[str, dict[int, list[Detection]]] = {field: {} for field in TEXT_FIELDS}
    frame = read_frame(session, pii_query(function, rows_sql))
    for row, prompt, completion in frame.select("ROW_INDEX", "P", "C").iter_rows():
        for field, value in zip(TEXT_FIELDS, (prompt, completion)):
            detections = _detections(value)
            if detections:
                found[field][int(row)] = detections
    return found


def pushdown(session, options: dict[str, Any], settings, rows_sql: str, text: tuple[bool, bool]) -> Pushdown:
    """Detect PII in the warehouse when it can be (see the module's docstring), and say where it ran."""
    from procs.udfs import DEFAULT_DETECTOR

    schema = functions_schema(options)
    wanted = any(callable(getattr(rule, "detector", None)) and rule.detector() == DEFAULT_DETECTOR
                 for rule in plan(settings).rules)
    if schema is None:
        return Pushdown(None, {"pii": "procedure", "why": "option functions is false"})
    if not wanted:
        return Pushdown(None, {"pii": "procedure", "why": f"no rule detects with {PII_FUNCTION}'s defaults"})
    if not all(text):
        return Pushdown(None, {"pii": "procedure", "why": "a source column is not text"})
    function = Name((*schema.parts, PII_FUNCTION))
    if not deployed(session, schema, PII_FUNCTION):
        return Pushdown(None, {"pii": "procedure", "why": f"{function.sql} is not deployed or not visible"})
    found = pushed_pii(session, function, rows_sql)

    def give(ctx) -> None:
        for source in ctx.sources:
            for field in TEXT_FIELDS:
                provide_detections(ctx, source, field, DEFAULT_DETECTOR, found[field])

    rows = len(set(found["prompt"]) | set(found["completion"]))
    return Pushdown(give, {"pii": "warehouse", "function": list(function.parts), "rows_with_pii": rows}, found)
