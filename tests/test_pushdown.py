# ruff: noqa: F811  (the fixtures imported from tests/test_procs.py are redefined as arguments)
"""PII detection pushed into the warehouse (procs/pushdown.py): the SQL the procedures issue, and findings identical
to the procedure's own detection (the fallback).

fakesnow runs no Python UDF, so :class:`Warehouse` stands in for Snowflake's side of one statement: a Snowpark
session on fakesnow that records every statement and answers the pushed-down ``SELECT`` by running its inner
query on fakesnow and ``procs.udfs.pii`` on the rows in batches of 4,096, as Snowflake calls a vectorized UDF
(a pandas DataFrame per batch). What stays unverified without Snowflake: that Snowflake accepts the statement,
and that ARRAY results reach the procedure as JSON text (both shapes are parsed).
"""

from __future__ import annotations

import json
import re

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

pytest.importorskip("fakesnow")
pytest.importorskip("snowflake.snowpark")

from prep.measures.pii.detector import Detector  # noqa: E402
from procs import lint, prepare, udfs  # noqa: E402
from procs.common import read_frame  # noqa: E402
from procs.pushdown import PII_FUNCTION, pii_query  # noqa: E402
from procs.sql import Name, insert_rows  # noqa: E402
from tests.test_pii import EDGE_CASES  # noqa: E402
from tests.test_procs import seed_tickets, server, session  # noqa: E402, F401

FUNCTION = Name(("PREP_DB", "PREP", PII_FUNCTION))
_IN_WAREHOUSE: list[bool] = []  # non-empty while the warehouse runs the function


class _Result:
    """What Snowpark's DataFrame gives read_frame: column names and Arrow batches."""

    def __init__(self, table: pa.Table) -> None:
        self.table, self.columns = table, table.column_names

    def to_arrow_batches(self):
        yield from self.table.to_batches(max_chunksize=1000)

    def collect(self):
        return [tuple(row.values()) for row in self.table.to_pylist()]


class Warehouse:
    """A fakesnow session where prep's PII function is deployed (see the module docstring)."""

    def __init__(self, session) -> None:
        self.session, self.statements, self.udf_rows = session, [], 0
        self.prefix, self.suffix = pii_query(FUNCTION, "\x00").split("\x00")

    def __getattr__(self, name):
        return getattr(self.session, name)

    def sql(self, query: str, params=None):
        self.statements.append(query)
        if re.fullmatch(r"SHOW USER FUNCTIONS LIKE 'PREP_PII' IN SCHEMA \"PREP_DB\"\.\"PREP\"", query):
            return _Result(pa.table({"name": [PII_FUNCTION]}))
        if PII_FUNCTION in query:
            assert query.startswith(self.prefix) and query.endswith(self.suffix), query
            return self._pii(query[len(self.prefix):-len(self.suffix)])
        return self.session.sql(query, params=params)

    def _pii(self, rows_sql: str) -> _Result:
        rows = read_frame(self.session, rows_sql)
        self.udf_rows += rows.height
        _IN_WAREHOUSE.append(True)
        try:
            return self._run_function(rows)
        finally:
            _IN_WAREHOUSE.pop()

    def _run_function(self, rows: pl.DataFrame) -> _Result:
        results = {}
        for column in ("PROMPT", "COMPLETION"):
            values = []
            for lo in range(0, rows.height, 4096):  # one vectorized call per batch, as Snowflake makes them
                batch = pd.DataFrame({0: rows[column].slice(lo, 4096).to_pandas()})
                values.extend(udfs.pii(batch).tolist())
            results[column] = values
        keep = [i for i in range(rows.height) if results["PROMPT"][i] or results["COMPLETION"][i]]

        def as_json(value):  # ARRAY values reach Python as JSON text
            return None if value is None else json.dumps(value)

        return _Result(pa.table({
            "ROW_INDEX": [rows["ROW_INDEX"][i] for i in keep],
            "P": [as_json(results["PROMPT"][i]) for i in keep],
            "C": [as_json(results["COMPLETION"][i]) for i in keep],
        }))


def seed_pii(session) -> int:
    """seed_tickets' rows and rows with PII of every kind in prompt, completion or both (some twice)."""
    n = seed_tickets(session)
    rows = [(f"ticket {i}: {text}", "Roaming fees" if i % 3 else f"call back {EDGE_CASES[-i % len(EDGE_CASES)]}",
             100 + i) for i, text in enumerate(EDGE_CASES * 2)]
    rows += [("no personal data here", "reach ann.lee@example.com or 212-555-0199", 999), (None, "x@y.com", 998)]
    insert_rows(session, Name(("TICKETS",)), ["PROMPT", "COMPLETION", "TICKET_ID"], rows)
    return n + len(rows)


def _findings(session, run_id: str) -> list[tuple]:
    return [tuple(r) for r in session.sql(
        "SELECT CODE, ROW_INDEX, FIELD, SEVERITY, MESSAGE, DATA FROM PREP_FINDINGS WHERE RUN_ID = ? "
        "ORDER BY ROW_INDEX, FIELD, CODE, MESSAGE", params=[run_id]).collect()]


def _no_local_detection(monkeypatch):
    texts = []
    real = Detector.detect_many
    def spy(self, columns, processes=None):
        if not _IN_WAREHOUSE:  # the procedure's own detection, not the function's
            texts.extend(t for c in columns for t in c.to_list())
        return real(self, columns, processes)

    monkeypatch.setattr(Detector, "detect_many", spy)
    return texts


def test_lint_detects_pii_in_the_warehouse_with_the_procedures_findings(session, monkeypatch):
    n = seed_pii(session)
    local = lint.run(session, "TICKETS", "llama3-8b", {})
    assert local["pushdown"] == {"pii": "procedure", "why": '"PREP_DB"."PREP"."PREP_PII" is not deployed or not visible'}
    warehouse = Warehouse(session)
    detected_here = _no_local_detection(monkeypatch)
    pushed = lint.run(warehouse, "TICKETS", "llama3-8b", {})
    assert detected_here == []  # every detection came from the function
    assert warehouse.udf_rows == n
    assert pushed["pushdown"]["pii"] == "warehouse" and pushed["pushdown"]["rows_with_pii"] > len(EDGE_CASES)
    assert pushed["summary"]["by_code"] == local["summary"]["by_code"] and local["summary"]["by_code"]["PI001"] > 50
    assert _findings(session, pushed["run_id"]) == _findings(session, local["run_id"])
    (query,) = [q for q in warehouse.statements if PII_FUNCTION in q and not q.startswith("SHOW")]
    assert "ROW_NUMBER() OVER (ORDER BY SHA2(" in query  # the row's index is its rank by content hash, as read


@pytest.mark.parametrize("pii", ["drop", "redact", "keep"])
def test_prepare_detects_pii_in_the_warehouse_with_the_same_outputs(session, monkeypatch, pii):
    seed_pii(session)
    local = prepare.run(session, "TICKETS", "LOCAL", "llama3-8b", {"pii": pii})
    warehouse = Warehouse(session)
    detected_here = _no_local_detection(monkeypatch)
    pushed = prepare.run(warehouse, "TICKETS", "PUSHED", "llama3-8b", {"pii": pii})
    assert pushed["pushdown"]["pii"] == "warehouse" and local["pushdown"]["pii"] == "procedure"
    same = ("source_rows", "train", "validation", "excluded", "excluded_by_reason", "redacted_rows", "labels",
            "output_errors", "unresolved_errors", "fingerprint", "fit", "lint")
    assert {k: pushed[k] for k in same} == {k: local[k] for k in same}
    assert local["redacted_rows"] > 20 or pii == "keep"
    # only redacted texts kept in the outputs are detected again here (the outputs' re-lint), once per field
    redacted_out = session.sql(
        f"SELECT COUNT(*) FROM {Name(tuple(pushed['snapshot'])).sql} WHERE SPLIT <> 'excluded' AND REASONS IS NULL "
        "AND (PROMPT LIKE '%[%]%' OR COMPLETION LIKE '%[%]%')").collect()[0][0]
    if pii == "redact":
        assert 0 < len(detected_here) <= 2 * redacted_out
    else:  # dropped rows are not in the outputs; kept rows keep the function's detections
        assert detected_here == []
    if pii == "keep":
        assert local["output_errors"].get("PI001", 0) > 20


@pytest.mark.parametrize("options, why", [
    ({"functions": False}, "option functions is false"),
    ({"rules": {"PI001": {"score-threshold": 0.9}}}, "no rule detects with PREP_PII's defaults"),
    ({"ignore": ["PI001"]}, "no rule detects with PREP_PII's defaults"),
])
def test_no_pushdown_when_the_run_would_detect_otherwise(session, options, why):
    seed_tickets(session)
    warehouse = Warehouse(session)
    summary = lint.run(warehouse, "TICKETS", "llama3-8b", options)
    assert summary["pushdown"] == {"pii": "procedure", "why": why}
    assert not any(PII_FUNCTION in q for q in warehouse.statements)


def test_a_bad_functions_option_is_a_clear_error(session):
    seed_tickets(session)
    for value, message in ((3, "must be the schema of prep's functions"), ("A.B.C", "must name a schema")):
        with pytest.raises(Exception, match=message):
            lint.run(session, "TICKETS", "llama3-8b", {"functions": value})
