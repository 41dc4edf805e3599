"""What the handlers share: options into settings, reading a source into a frame, run ids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa
from prep.procs.sql import ProcError, as_options, check_source, subquery

from prep.config import Settings, settings_from_table

# The options each procedure reads itself; lint and prepare also take every prep setting (select, ignore, epochs,
# margin, prompt-col, completion-col, rules, labels, severity, catalog), validated as in prep.toml. A key meant for
# another procedure is refused with that procedure's name, never ignored.
PROCEDURE_OPTIONS: dict[str, frozenset[str]] = {
    "PREP_LINT": frozenset({"registry_schema", "functions"}),
    "PREP_PREPARE": frozenset({"registry_schema", "functions", "validation_fraction", "seed", "pii", "duplicates",
                               "errors"}),
    "PREP_FINETUNE": frozenset({"registry_schema", "max_epochs", "force"}),
    "PREP_JOB_STATUS": frozenset({"registry_schema"}),
    "PREP_JOB_CANCEL": frozenset({"registry_schema"}),
    "PREP_JOBS_LIST": frozenset({"registry_schema"}),
    "PREP_LABEL": frozenset({"registry_schema", "text_col", "output", "replace", "temperature", "max_tokens"}),
    "PREP_EVALUATE": frozenset({"registry_schema", "view", "judge", "temperature", "max_tokens",
                                "credits_per_million"}),
    "PREP_PROMOTE": frozenset({"registry_schema", "require_better", "eval_id"}),
    "PREP_ROLLBACK": frozenset({"registry_schema"}),
    "PREP_RETRAIN": frozenset({"registry_schema", "prepare", "finetune", "evaluate", "promote", "metric"}),
    "PREP_UNUSED_MODELS": frozenset({"registry_schema"}),
}
_TAKES_SETTINGS = {"PREP_LINT", "PREP_PREPARE"}


def _check_keys(options: dict[str, Any], procedure: str) -> None:
    own = PROCEDURE_OPTIONS[procedure]
    for key in options:
        if key in own:
            continue
        elsewhere = [name for name, keys in PROCEDURE_OPTIONS.items() if key in keys]
        if elsewhere:
            raise ProcError(f"option '{key}' is an option of {' and '.join(elsewhere)}, not of {procedure}")
        if procedure not in _TAKES_SETTINGS:
            from prep.errors import did_you_mean

            raise ProcError(
                f"unknown option '{key}'{did_you_mean(key, sorted(own))}; {procedure} takes: {', '.join(sorted(own))}"
            )


def procedure_options(options: Any, procedure: str) -> dict[str, Any]:
    """``options`` as a dict, checked against what ``procedure`` takes."""
    options = as_options(options)
    _check_keys(options, procedure)
    return options


def job_options(options: Any, procedure: str) -> dict[str, Any]:
    return procedure_options(options, procedure)


def settings_for(options: dict[str, Any], base_model: str, procedure: str = "PREP_LINT") -> Settings:
    if not isinstance(base_model, str) or not base_model:
        raise ProcError("base_model must be a model name such as 'llama3.1-8b'")
    _check_keys(options, procedure)
    table = {k: v for k, v in options.items() if k not in PROCEDURE_OPTIONS[procedure]}
    table["model"] = [base_model]
    return settings_from_table(table, "options")


def unquote(column: str) -> str:
    """A column name as the server returns it, without its quotes (doubled quotes undone)."""
    return column[1:-1].replace('""', '"') if len(column) > 1 and column[0] == column[-1] == '"' else column


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class SourceQuery:
    """A checked source: the SQL that reads it, its columns, and the prompt and completion columns the settings
    map (None when missing), with whether each is a text column."""

    query: str
    columns: tuple[str, ...]
    prompt: str | None
    completion: str | None
    text: tuple[bool, bool]

    @property
    def mapped(self) -> bool:
        return self.prompt is not None and self.completion is not None

    def row_hash(self) -> str:
        """SQL: the SHA-256 of a row's prompt and completion (a NULL distinct from any text)."""
        parts = [f"COALESCE(TO_VARCHAR(SRC.{quote_identifier(c)}), CHR(30))" for c in (self.prompt, self.completion)]
        return f"SHA2({parts[0]} || CHR(31) || {parts[1]}, 256)"

    def indexed(self) -> str:
        """SQL: ``ROW_INDEX`` (the row's position in :meth:`ordered`), ``PROMPT`` and ``COMPLETION`` of every row."""
        return (f"SELECT ROW_NUMBER() OVER (ORDER BY {self.row_hash()}) - 1 AS ROW_INDEX, "
                f"SRC.{quote_identifier(self.prompt)} AS PROMPT, SRC.{quote_identifier(self.completion)} AS COMPLETION "
                f"FROM {subquery(self.query)}")

    def ordered(self) -> str:
        """SQL: every column of the source, rows in the order of their content hash, so that the same rows get
        the same indices whatever order the warehouse scans them in."""
        order = f" ORDER BY {self.row_hash()}" if self.mapped else ""
        return f"SELECT * FROM {subquery(self.query)}{order}"


def describe_source(session, source: str, settings: Settings) -> SourceQuery:
    """Check ``source`` (:func:`prep.procs.sql.check_source`) and find its columns (a ``LIMIT 0`` query)."""
    from prep.readers.records import resolve_column

    query = check_source(source)
    schema = session.sql(f"SELECT * FROM {subquery(query)} LIMIT 0").schema
    names = tuple(unquote(field.name) for field in schema.fields)
    text_columns = {unquote(f.name) for f in schema.fields if type(f.datatype).__name__ == "StringType"}
    prompt = resolve_column(settings.prompt_col, names)
    completion = resolve_column(settings.completion_col, names)
    return SourceQuery(query, names, prompt, completion, (prompt in text_columns, completion in text_columns))


def read_frame(session, sql: str, params: list | None = None) -> pl.DataFrame:
    """The result of ``sql`` as a polars frame (column names unquoted), streamed: the warehouse's result comes in
    Arrow batches, each taken into polars as it arrives (text columns without a copy), so the whole result never
    exists twice or as Python objects."""
    result = session.sql(sql, params=params or [])
    columns = [unquote(c) for c in result.columns]
    parts = [_arrow_frame(batch, columns) for batch in result.to_arrow_batches()]
    if not parts:
        return pl.DataFrame({name: pl.Series(name, [], dtype=pl.String) for name in columns})
    return pl.concat(parts, how="vertical_relaxed", rechunk=False)


def _arrow_frame(batch: pa.Table, columns: list[str]) -> pl.DataFrame:
    try:
        frame = pl.from_arrow(batch, rechunk=False)
    except (TypeError, ValueError, pa.ArrowException, pl.exceptions.PolarsError):
        # a type polars does not take from Arrow: its values as text, as a reader would give them
        frame = pl.DataFrame({name: [None if v is None else str(v) for v in col.to_pylist()]
                              for name, col in zip(columns, batch.columns)})
    return frame.rename(dict(zip(frame.columns, columns)))


def new_run_id() -> str:
    return uuid.uuid4().hex
