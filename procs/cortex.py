"""The one place that calls Cortex fine-tuning: the adapter a successor service (Cortex Training) can replace.

``CortexClient`` runs ``SNOWFLAKE.CORTEX.FINETUNE`` in the documented form (literal arguments, options as a JSON
string). Tests run it over a double of the session that checks every call against the documented signatures and
records it (tests/cortex_double.py). A successor service (Cortex Training) is a second class with the same four
methods and its own ``backend`` name.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

# DESCRIBE statuses we know; others are kept as given (the service may add some).
KNOWN_STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "ERROR", "CANCELLED")
FINAL_STATUSES = ("SUCCESS", "ERROR", "CANCELLED")


class FineTuneClient(Protocol):
    backend: str

    def create(self, model_name: str, base_model: str, training_query: str, validation_query: str | None,
               options: dict[str, Any]) -> str: ...

    def describe(self, job_id: str) -> dict[str, Any]: ...

    def cancel(self, job_id: str) -> str: ...

    def show(self) -> list[dict[str, Any]]: ...


def _json(value: Any) -> Any:
    """A VARIANT result as Python: Snowpark returns objects as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def literal(value: str | None) -> str:
    """A Snowflake string literal (or NULL): backslashes and quotes escaped, so any text stays one literal."""
    if value is None:
        return "NULL"
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError("a FINETUNE argument must be text without NUL characters")
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class CortexClient:
    """SNOWFLAKE.CORTEX.FINETUNE through a Snowpark session, in the documented form: every argument a literal
    (the reference shows literals, and Snowflake's own Python client renders them; whether FINETUNE takes bound
    parameters is not documented), options a string holding a JSON object, NULL for no validation query."""

    backend = "cortex-finetune"  # PREP_JOBS.BACKEND: Cortex Fine-tuning is announced for deprecation in Q1 2027

    def __init__(self, session) -> None:
        self.session = session

    def _call(self, *args: str | None) -> Any:
        sql = f"SELECT SNOWFLAKE.CORTEX.FINETUNE({', '.join(literal(a) for a in args)})"
        return self.session.sql(sql).collect()[0][0]

    def create(self, model_name, base_model, training_query, validation_query, options):
        return str(self._call("CREATE", model_name, base_model, training_query, validation_query, json.dumps(options)))

    def describe(self, job_id):
        return parse_describe(_json(self._call("DESCRIBE", job_id)))

    def cancel(self, job_id):
        return str(self._call("CANCEL", job_id))

    def show(self):
        value = _json(self._call("SHOW"))
        return [j for j in value if isinstance(j, dict)] if isinstance(value, list) else []


def parse_describe(payload: Any) -> dict[str, Any]:
    """DESCRIBE's object, tolerantly: known fields normalised, unknown keys kept under ``extra``, never a crash."""
    if not isinstance(payload, dict):
        return {"status": "UNKNOWN", "raw": payload, "extra": {}}
    known = {"id", "status", "progress", "error", "base_model", "created_on", "finished_on", "model",
             "training_data", "validation_data", "trained_tokens", "training_result", "options"}
    out: dict[str, Any] = {k: payload.get(k) for k in known}
    status = str(payload.get("status") or "UNKNOWN").upper()
    out["status"] = status
    out["known_status"] = status in KNOWN_STATUSES
    out["final"] = status in FINAL_STATUSES
    try:
        out["progress"] = None if payload.get("progress") is None else float(payload["progress"])
    except (TypeError, ValueError):
        out["progress"] = None
    out["extra"] = {k: v for k, v in payload.items() if k not in known}
    return out


def client(session) -> FineTuneClient:
    """The client the handlers use (tests replace this function with one returning a recording double)."""
    return CortexClient(session)
