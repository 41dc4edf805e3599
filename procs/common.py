"""What the handlers share: options into settings, reading a source into a frame, run ids."""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import polars as pl

from prep.config import Settings, settings_from_table
from procs.sql import ProcError, check_source

_F = TypeVar("_F", bound=Callable[..., Any])


def one_process(handler: _F) -> _F:
    """Run ``handler`` with PII detection in this process (``PREP_PROCESSES=1`` unless set): Snowflake's Python
    runtime allows no process creation. The variable is restored afterwards, so importing or calling a handler
    elsewhere (tests, a local session) changes nothing for later runs."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before = os.environ.get("PREP_PROCESSES")
        os.environ.setdefault("PREP_PROCESSES", "1")
        try:
            return handler(*args, **kwargs)
        finally:
            if before is None:
                os.environ.pop("PREP_PROCESSES", None)

    return wrapper  # type: ignore[return-value]

# Options the handlers read themselves; every other key is a prep setting (select, ignore, epochs, margin,
# prompt-col, completion-col, rules, labels, severity, catalog), validated as in prep.toml.
HANDLER_KEYS = {"registry_schema", "validation_fraction", "seed", "pii", "duplicates", "errors", "force", "max_epochs"}


def settings_for(options: dict[str, Any], base_model: str) -> Settings:
    if not isinstance(base_model, str) or not base_model:
        raise ProcError("base_model must be a model name such as 'llama3.1-8b'")
    table = {k: v for k, v in options.items() if k not in HANDLER_KEYS}
    table["model"] = [base_model]
    return settings_from_table(table, "options")


def read_source(session, source: str) -> tuple[pl.DataFrame, str]:
    """The rows of ``source`` (table, view or single SELECT) as a frame, and the SQL that read them."""
    query = check_source(source)
    result = session.sql(query)
    rows = result.collect()
    columns = [c.strip('"') for c in result.columns]
    data = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    try:
        frame = pl.DataFrame(data, strict=False)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        frame = pl.DataFrame({k: [None if v is None else str(v) for v in vs] for k, vs in data.items()})
    return frame, query


def new_run_id() -> str:
    return uuid.uuid4().hex
