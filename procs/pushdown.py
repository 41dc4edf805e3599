"""Per-row work pushed into the warehouse.

When prep's vectorized UDFs are deployed (procs/udfs.py, in the procedures' schema), PREP_LINT and PREP_PREPARE
detect PII with ``PREP_PII`` and count tokens with ``PREP_TOKEN_COUNT`` in one ``SELECT`` over the rows: Snowflake
runs the functions on batches of rows on every node of the warehouse, and only the rows with detections, or with
a text whose tokens could be over a budget of the run, come back to the procedure (masked values, never raw
ones; counts, never texts). The run is given them (:mod:`prep.measures.pii.given`,
:func:`prep.measures.tokens.provide_token_counts`) and its rules report them as if it had measured them itself.
PII detection is most of a run's work (about two thirds of ``prep lint`` on the 200 MB benchmark file) and token
counting most of the rest; the rest of the engine stays in the procedure.

The procedure measures in its own process instead, with the same findings, when a function is not there (not
deployed, not visible to the caller's role, or fakesnow, which runs no Python UDF), when a source column is not
text, when no rule detects with PREP_PII's detector (PI001 left out, or configured with other types, scores or
regions), when no model of the run has a tokenizer of the built-in catalog, or when the option ``functions`` is
``false``. Texts over :data:`prep.tokenizers.LONG_TEXT_BYTES` are counted in the procedure in every case, as the
run counts them (an estimate from their start). The summary's ``pushdown`` says, for ``pii`` and ``tokens``,
where each ran and why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import polars as pl
from prep.procs.common import read_frame
from prep.procs.definition import DATABASE, SCHEMA
from prep.procs.sql import Name, ProcError
from prep.procs.udfs import DEFAULT_DETECTOR, builtin_catalog
from snowflake.snowpark.exceptions import SnowparkSQLException

from prep.dataset import TEXT_FIELDS
from prep.engine.run import Given, plan
from prep.measures.pii.given import provide_detections
from prep.measures.pii.masking import Detection
from prep.measures.tokens import lowest_over, provide_token_counts

PII_FUNCTION = "PREP_PII"
TOKEN_FUNCTION = "PREP_TOKEN_COUNT"
MEASURES = {"pii": PII_FUNCTION, "tokens": TOKEN_FUNCTION}


@dataclass(frozen=True)
class Count:
    """One token count pushed down: ``PREP_TOKEN_COUNT('model', FIELD) AS alias``; rows whose count is over
    ``above`` (:func:`prep.measures.tokens.lowest_over`) come back."""

    alias: str
    model: str  # a built-in model of ``family``: the function counts with its tokenizer
    family: str
    field: str
    above: int


@dataclass(frozen=True)
class Pushdown:
    """What a procedure gives its run, and what its summary says about it."""

    given: Given | None
    summary: dict[str, Any]
    found: dict[str, dict[int, list[Detection]]] | None = None  # PII by field and row, when pushed down
    counts: dict[tuple[str, str], pl.DataFrame] | None = None  # (field, family): row, tokens; when pushed down


def not_pushed(why: str) -> Pushdown:
    """A run that measures everything in the procedure, for ``why``."""
    return Pushdown(None, {kind: {"ran": "procedure", "why": why} for kind in MEASURES})
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


def pushed_query(rows_sql: str, pii: Name | None, token_count: Name | None, counts: list[Count]) -> str:
    """SQL: ``ROW_INDEX``, the detections in ``PROMPT`` and ``COMPLETION`` (``P``, ``C``, with ``pii``) and the token
    counts of ``counts`` (with ``token_count``) of the rows of ``rows_sql`` (a query with those three columns) that
    have a detection or a count over its ``above``."""
    select, keep = ["ROW_INDEX"], []
    if pii is not None:
        select += [f"{pii.sql}(PROMPT) AS P", f"{pii.sql}(COMPLETION) AS C"]
        keep += ["ARRAY_SIZE(P) > 0", "ARRAY_SIZE(C) > 0"]
    if token_count is not None:
        for c in counts:
            select.append(f"{token_count.sql}('{c.model}', {c.field.upper()}) AS {c.alias}")
            keep.append(f"{c.alias} > {c.above}")
    names = [column.rsplit(" AS ", 1)[-1] for column in select]
    return (f"SELECT {', '.join(names)} FROM (SELECT {', '.join(select)} FROM ({rows_sql}) AS R) AS D "
            f"WHERE {' OR '.join(keep)}")


def _detections(value: Any) -> list[Detection]:
    """An ARRAY of detections as the function returns it (JSON text in Arrow results, or a list)."""
    if value is None:
        return []
    items = json.loads(value) if isinstance(value, str) else value
    return [Detection(d["entity"], int(d["start"]), int(d["end"]), float(d["score"]), d["masked"]) for d in items]


def _found(frame: pl.DataFrame) -> dict[str, dict[int, list[Detection]]]:
    """Detections by field and row, from the ``P`` and ``C`` columns the function filled."""
    found: dict[str, dict[int, list[Detection]]] = {field: {} for field in TEXT_FIELDS}
    for row, prompt, completion in frame.select("ROW_INDEX", "P", "C").iter_rows():
        for field, value in zip(TEXT_FIELDS, (prompt, completion)):
            detections = _detections(value)
            if detections:
                found[field][int(row)] = detections
    return found


def _token_counts(models, margin: int) -> list[Count]:
    """The counts to push down: each text field, for each tokenizer family of the run that a built-in model has,
    with the count a text must exceed to be over a budget of ``models``."""
    builtin: dict[str, str] = {}
    for name, spec in sorted(builtin_catalog().items()):
        builtin.setdefault(spec.tokenizer, name)
    families = sorted({m.tokenizer for m in models} & set(builtin))
    return [Count(f"T{len(TEXT_FIELDS) * i + j}", builtin[family], family, field,
                  lowest_over(models, margin, field, family))
            for i, family in enumerate(families) for j, field in enumerate(TEXT_FIELDS)]


def pushdown(session, options: dict[str, Any], settings, rows_sql: str, text: tuple[bool, bool]) -> Pushdown:
    """Measure in the warehouse what can be (see the module's docstring), and say where each measure ran."""
    schema = functions_schema(options)
    if schema is None:
        return not_pushed("option functions is false")
    if not all(text):
        return not_pushed("a source column is not text")
    the_plan = plan(settings)
    why: dict[str, str] = {}
    if not any(callable(getattr(rule, "detector", None)) and rule.detector() == DEFAULT_DETECTOR
               for rule in the_plan.rules):
        why["pii"] = f"no rule detects with {PII_FUNCTION}'s defaults"
    counts = _token_counts(the_plan.models, settings.margin)
    if not counts:
        why["tokens"] = f"no model of the run has a tokenizer {TOKEN_FUNCTION} knows"
    for kind, function in MEASURES.items():
        if kind not in why and not deployed(session, schema, function):
            why[kind] = f"{Name((*schema.parts, function)).sql} is not deployed or not visible"
    if len(why) == len(MEASURES):
        return Pushdown(None, {kind: {"ran": "procedure", "why": why[kind]} for kind in MEASURES})
    pii = None if "pii" in why else Name((*schema.parts, PII_FUNCTION))
    token_count = None if "tokens" in why else Name((*schema.parts, TOKEN_FUNCTION))
    frame = read_frame(session, pushed_query(rows_sql, pii, token_count, counts))
    summary: dict[str, Any] = {kind: {"ran": "procedure", "why": reason} for kind, reason in why.items()}
    found = by_count = None
    if pii is not None:
        found = _found(frame)
        rows = len(set(found["prompt"]) | set(found["completion"]))
        summary["pii"] = {"ran": "warehouse", "function": list(pii.parts), "rows_with_pii": rows}
    if token_count is not None:
        by_count = {(c.field, c.family): frame.select(pl.col("ROW_INDEX").alias("row"), pl.col(c.alias).alias("tokens"))
                    .filter(pl.col("tokens") > c.above) for c in counts}
        near = pl.concat([f["row"] for f in by_count.values()]).n_unique() if by_count else 0
        summary["tokens"] = {"ran": "warehouse", "function": list(token_count.parts), "rows_near_budget": near}
    summary["rows_returned"] = frame.height
    return Pushdown(give_measures(found, by_count), summary, found, by_count)


def give_measures(found, counts, outputs=None) -> Given:
    """The given of a run: the pushed-down detections (``found``) and token counts (``counts``) of its sources.

    With ``outputs`` (PREP_PREPARE's re-lint: the train and validation frames, whose ``row`` is the snapshot row
    and ``redacted`` says the text changed), each output row gets its snapshot row's measures, and its redacted
    texts are measured again, here."""

    def give(ctx) -> None:
        for source in ctx.sources:
            frame = None if outputs is None else outputs[source.role].with_row_index("k")  # k: the output's row
            again = [] if frame is None else frame.filter(pl.col("redacted"))["k"].to_list()
            for field in TEXT_FIELDS:
                if found is not None:
                    provide_detections(ctx, source, field, DEFAULT_DETECTOR, _detections_of(found[field], frame, field))
                for (counted_field, family), counted in (counts or {}).items():
                    if counted_field == field:
                        if frame is not None:  # from snapshot rows to output rows
                            counted = frame.join(counted, on="row").select(pl.col("k").alias("row"), "tokens")
                        provide_token_counts(ctx, source, field, family, counted, again)

    return give


def _detections_of(by_row: dict[int, list[Detection]], frame: pl.DataFrame | None, field: str):
    """Detections by the run's row: the pushed-down ones, mapped to output rows with ``frame`` (an output's ``k``,
    snapshot ``row``, ``redacted`` and texts), where its redacted texts are detected again, here."""
    if frame is None:
        return by_row
    kept = frame.filter(~pl.col("redacted") & pl.col("row").is_in(list(by_row)))
    mapped = {k: by_row[row] for k, row in kept.select("k", "row").iter_rows()}
    again = frame.filter(pl.col("redacted"))
    if again.height:
        at = again["k"].to_list()
        for index, detections in DEFAULT_DETECTOR.detect(again[field], processes=1).items():
            mapped[at[index]] = detections
    return mapped
