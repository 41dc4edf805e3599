# ruff: noqa: F811  (the fixtures imported from tests/test_procs.py are redefined as arguments)
"""Per-row work pushed into the warehouse (procs/pushdown.py): the SQL the procedures issue, and findings identical
to the procedure's own measures (the fallback).

fakesnow runs no Python UDF, so :class:`Warehouse` stands in for Snowflake's side of one statement: a Snowpark
session on fakesnow that records every statement and answers the pushed-down ``SELECT`` by running its inner
query on fakesnow and prep's functions (``prep.procs.udfs.pii``, ``prep.procs.udfs.token_count``) on the rows in batches of
4,096, as Snowflake calls a vectorized UDF (a pandas DataFrame per batch), then its ``WHERE``. What stays
unverified without Snowflake: that Snowflake accepts the statement, and that ARRAY results reach the procedure as
JSON text (both shapes are parsed).
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

import prep  # noqa: E402
from prep import count_tokens  # noqa: E402
from prep.catalog import load_catalog  # noqa: E402
from prep.config import DEFAULT_MARGIN  # noqa: E402
from prep.dataset import TEXT_FIELDS  # noqa: E402
from prep.measures import tokens  # noqa: E402
from prep.measures.pii.detector import Detector  # noqa: E402
from prep.tokenizers import LONG_TEXT_BYTES  # noqa: E402
from prep.procs import lint, prepare, udfs  # noqa: E402
from prep.procs.common import read_frame  # noqa: E402
from prep.procs.pushdown import PII_FUNCTION, TOKEN_FUNCTION, give_measures  # noqa: E402
from prep.procs.sql import Name, insert_rows  # noqa: E402
from tests.test_pii import EDGE_CASES  # noqa: E402
from tests.test_procs import seed_tickets, server, session  # noqa: E402, F401

FUNCTION = Name(("PREP_DB", "PREP", PII_FUNCTION))
_IN_WAREHOUSE: list[bool] = []  # non-empty while the warehouse runs a function
_PUSHED = re.compile(r"SELECT (?P<names>[\w, ]+) FROM \(SELECT ROW_INDEX, (?P<select>.*?) FROM \((?P<rows>.*)\) AS R\) "
                     r"AS D WHERE (?P<where>.*)", re.S)
_CALL = re.compile(r'"PREP_DB"\."PREP"\."(\w+)"\((?:\'([^\']*)\', )?(PROMPT|COMPLETION)\) AS (\w+)')
_KEEP = re.compile(r"ARRAY_SIZE\((\w+)\) > 0|(\w+) > (-?\d+)")


class _Result:
    """What Snowpark's DataFrame gives read_frame: column names and Arrow batches."""

    def __init__(self, table: pa.Table) -> None:
        self.table, self.columns = table, table.column_names

    def to_arrow_batches(self):
        yield from self.table.to_batches(max_chunksize=1000)

    def collect(self):
        return [tuple(row.values()) for row in self.table.to_pylist()]


class Warehouse:
    """A fakesnow session where prep's functions ``deployed`` are (see the module docstring)."""

    def __init__(self, session, deployed=(PII_FUNCTION, TOKEN_FUNCTION)) -> None:
        self.session, self.deployed, self.statements = session, set(deployed), []
        self.udf_rows: dict[str, int] = {}  # rows each function was called on

    def __getattr__(self, name):
        return getattr(self.session, name)

    def sql(self, query: str, params=None):
        self.statements.append(query)
        shown = re.fullmatch(r"SHOW USER FUNCTIONS LIKE '(\w+)' IN SCHEMA \"PREP_DB\"\.\"PREP\"", query)
        if shown:
            return _Result(pa.table({"name": [shown[1]] if shown[1] in self.deployed else pa.array([], pa.string())}))
        if any(f in query for f in (PII_FUNCTION, TOKEN_FUNCTION)):
            return self._pushed(query)
        return self.session.sql(query, params=params)

    def _pushed(self, query: str) -> _Result:
        m = _PUSHED.fullmatch(query)
        assert m, query
        calls = _CALL.findall(m["select"])
        assert ", ".join(_call_sql(*c) for c in calls) == m["select"], m["select"]  # nothing else selected
        names = m["names"].split(", ")
        assert names == ["ROW_INDEX"] + [alias for *_, alias in calls]
        assert all(function in self.deployed for function, *_ in calls)
        rows = read_frame(self.session, m["rows"])
        _IN_WAREHOUSE.append(True)
        try:
            columns = {"ROW_INDEX": rows["ROW_INDEX"].to_list()}
            for function, model, field, alias in calls:
                self.udf_rows[function] = self.udf_rows.get(function, 0) + rows.height
                columns[alias] = self._run(function, model, rows[field])
        finally:
            _IN_WAREHOUSE.pop()
        keep = [i for i in range(rows.height) if any(_kept(term, columns, i) for term in m["where"].split(" OR "))]

        def as_json(value):  # ARRAY values reach Python as JSON text
            return None if value is None else json.dumps(value)

        return _Result(pa.table({
            name: [(as_json(columns[name][i]) if name in ("P", "C") else columns[name][i]) for i in keep]
            for name in names}))

    @staticmethod
    def _run(function: str, model: str, texts: pl.Series) -> list:
        values = []
        for lo in range(0, len(texts), 4096):  # one vectorized call per batch, as Snowflake makes them
            text = texts.slice(lo, 4096).to_pandas()
            if function == PII_FUNCTION:
                values.extend(udfs.pii(pd.DataFrame({0: text})).tolist())
            else:
                batch = pd.DataFrame({0: pd.Series([model] * len(text), dtype=object), 1: text})
                values.extend(None if pd.isna(v) else int(v) for v in udfs.token_count(batch).tolist())
        return values


def _call_sql(function: str, model: str, field: str, alias: str) -> str:
    args = f"'{model}', {field}" if model else field
    return f'"PREP_DB"."PREP"."{function}"({args}) AS {alias}'


def _kept(term: str, columns: dict, i: int) -> bool:
    m = _KEEP.fullmatch(term)
    assert m, term
    if m[1]:
        return bool(columns[m[1]][i])
    value = columns[m[2]][i]
    return value is not None and value > int(m[3])


def _near_budget_rows(model: str) -> list[tuple]:
    """Prompts, then completions, of ``model``'s family with tokens just under, at and just over its budget less
    the default margin (where a text starts to be over it)."""
    spec = load_catalog(None)[model]
    rows = []
    for field in TEXT_FIELDS:
        limit = spec.budget(field) - DEFAULT_MARGIN
        k = limit // 2
        while _tokens(model, f"roaming fee {k} " + "bill " * k) <= limit:
            k += max(1, (limit - _tokens(model, f"roaming fee {k} " + "bill " * k)) // 2)
        for j in range(k - 2, k + 2):
            text = f"roaming fee {j} " + "bill " * j
            rows.append((text, "Roaming fees", 500 + j) if field == "prompt" else ("my bill", text, 700 + j))
    return rows


def _tokens(model: str, text: str) -> int:
    return count_tokens(model, [text])[0]


def seed_pii(session, model: str = "llama3-8b") -> int:
    """seed_tickets' rows, rows with PII of every kind in prompt, completion or both (some twice), and rows near
    ``model``'s prompt and completion budgets."""
    n = seed_tickets(session)
    rows = [(f"ticket {i}: {text}", "Roaming fees" if i % 3 else f"call back {EDGE_CASES[-i % len(EDGE_CASES)]}",
             100 + i) for i, text in enumerate(EDGE_CASES * 2)]
    rows += [("no personal data here", "reach ann.lee@acme-mail.com or 212-555-0199", 999), (None, "x@y.com", 998)]
    rows += _near_budget_rows(model)
    rows += [("call 212-555-0142 " + "roaming " * 7000, "Roaming fees", 990)]  # PII and over budget
    insert_rows(session, Name(("TICKETS",)), ["PROMPT", "COMPLETION", "TICKET_ID"], rows)
    return n + len(rows)


def _findings(session, run_id: str) -> list[tuple]:
    return [tuple(r) for r in session.sql(
        "SELECT CODE, ROW_INDEX, FIELD, SEVERITY, MESSAGE, DATA FROM PREP_FINDINGS WHERE RUN_ID = ? "
        "ORDER BY ROW_INDEX, FIELD, CODE, MESSAGE", params=[run_id]).collect()]


def _measured_here(monkeypatch) -> tuple[list, list]:
    """The texts the procedure detects PII in, and those it counts tokens of, itself (not in the warehouse)."""
    detected, counted = [], []
    real_detect, real_count = Detector.detect_many, tokens.count_tokens_bounded

    def detect(self, columns, processes=None):
        if not _IN_WAREHOUSE:
            detected.extend(t for c in columns for t in c.to_list())
        return real_detect(self, columns, processes)

    def count(family, texts, enough=None):
        if not _IN_WAREHOUSE:
            counted.extend(texts)
        return real_count(family, texts, enough)

    monkeypatch.setattr(Detector, "detect_many", detect)
    monkeypatch.setattr(tokens, "count_tokens_bounded", count)
    return detected, counted


def _not_deployed(*functions: str) -> dict:
    return {kind: {"ran": "procedure", "why": f'"PREP_DB"."PREP"."{f}" is not deployed or not visible'}
            for kind, f in zip(("pii", "tokens"), functions)}


@pytest.mark.parametrize("model", ["llama3-8b", pytest.param("mistral-7b", marks=pytest.mark.slow)])
def test_lint_measures_in_the_warehouse_with_the_procedures_findings(session, monkeypatch, model):
    n = seed_pii(session, model)
    local = lint.run(session, "TICKETS", model, {})
    assert local["pushdown"] == _not_deployed(PII_FUNCTION, TOKEN_FUNCTION)
    warehouse = Warehouse(session)
    detected_here, counted_here = _measured_here(monkeypatch)
    pushed = lint.run(warehouse, "TICKETS", model, {})
    assert detected_here == [] and counted_here == []  # every detection and count came from the functions
    assert warehouse.udf_rows == {PII_FUNCTION: 2 * n, TOKEN_FUNCTION: 2 * n}
    summary = pushed["pushdown"]
    assert summary["pii"]["ran"] == "warehouse" and summary["pii"]["rows_with_pii"] > len(EDGE_CASES)
    by_code = local["summary"]["by_code"]
    assert pushed["summary"]["by_code"] == by_code and by_code["PI001"] > 50
    assert by_code["TK002"] == 2 and by_code["TK001"] >= 2  # the rows at the limit are not over it
    assert summary["tokens"] == {"ran": "warehouse", "function": ["PREP_DB", "PREP", TOKEN_FUNCTION],
                                 "rows_near_budget": by_code["TK001"] + by_code["TK002"]}
    assert summary["rows_returned"] < n
    assert _findings(session, pushed["run_id"]) == _findings(session, local["run_id"])
    (query,) = [q for q in warehouse.statements if PII_FUNCTION in q and not q.startswith("SHOW")]
    assert "ROW_NUMBER() OVER (ORDER BY SHA2(" in query  # the row's index is its rank by content hash, as read


@pytest.mark.slow
@pytest.mark.parametrize("deployed, kind", [((TOKEN_FUNCTION,), "tokens"), ((PII_FUNCTION,), "pii")])
def test_one_function_deployed_pushes_down_its_measure_alone(session, monkeypatch, deployed, kind):
    seed_pii(session)
    local = lint.run(session, "TICKETS", "llama3-8b", {})
    warehouse = Warehouse(session, deployed)
    detected_here, counted_here = _measured_here(monkeypatch)
    pushed = lint.run(warehouse, "TICKETS", "llama3-8b", {})
    other = "pii" if kind == "tokens" else "tokens"
    assert pushed["pushdown"][kind]["ran"] == "warehouse"
    assert pushed["pushdown"][other] == _not_deployed(PII_FUNCTION, TOKEN_FUNCTION)[other]
    assert bool(detected_here) == (kind == "tokens") and bool(counted_here) == (kind == "pii")
    assert _findings(session, pushed["run_id"]) == _findings(session, local["run_id"])


@pytest.mark.parametrize("pii", [pytest.param("drop", marks=pytest.mark.slow), "redact", pytest.param("keep", marks=pytest.mark.slow)])
def test_prepare_measures_in_the_warehouse_with_the_same_outputs(session, monkeypatch, pii):
    seed_pii(session)
    local = prepare.run(session, "TICKETS", "LOCAL", "llama3-8b", {"pii": pii, "errors": "keep"})
    warehouse = Warehouse(session)
    detected_here, counted_here = _measured_here(monkeypatch)
    pushed = prepare.run(warehouse, "TICKETS", "PUSHED", "llama3-8b", {"pii": pii, "errors": "keep"})
    assert pushed["pushdown"]["pii"]["ran"] == pushed["pushdown"]["tokens"]["ran"] == "warehouse"
    assert local["pushdown"]["pii"]["ran"] == "procedure"
    same = ("source_rows", "train", "validation", "excluded", "excluded_by_reason", "redacted_rows", "labels",
            "output_errors", "unresolved_errors", "fingerprint", "fit", "lint")
    assert {k: pushed[k] for k in same} == {k: local[k] for k in same}
    assert local["redacted_rows"] > 20 or pii == "keep"
    # only redacted texts kept in the outputs are measured again here (the outputs' re-lint), once per field
    redacted_out = session.sql(
        f"SELECT COUNT(*) FROM {Name(tuple(pushed['snapshot'])).sql} WHERE SPLIT <> 'excluded' AND REASONS IS NULL "
        "AND (PROMPT LIKE '%[%]%' OR COMPLETION LIKE '%[%]%')").collect()[0][0]
    if pii == "redact":
        assert 0 < len(detected_here) <= 2 * redacted_out
        assert counted_here and all("[" in t for t in counted_here)  # the redacted one over budget
    else:  # dropped rows are not in the outputs; kept rows keep the functions' measures
        assert detected_here == [] and counted_here == []
    if pii == "keep":
        assert local["output_errors"].get("PI001", 0) > 20


def test_long_texts_are_counted_in_the_run_as_without_pushdown(monkeypatch):
    """A text over LONG_TEXT_BYTES is counted in the procedure (an estimate, as prep lint makes it), whatever the
    warehouse gave for it; the others come from the given counts."""
    long = "roaming charges again and again " * (LONG_TEXT_BYTES // 30)
    frame = pl.DataFrame({"prompt": ["short prompt", long, "bill " * 6200, None],
                          "completion": ["ok", "ok", "bill " * 2100, "fine"]})
    settings = prep.Settings(models=["llama3-8b"])
    alone = prep.lint(prep.load(frame, settings), settings=settings)
    counted = {(field, "llama3"): pl.DataFrame({"row": [0, 1, 2], "tokens": count_tokens("llama3-8b", frame[field][:3].to_list())}) for field in TEXT_FIELDS}
    _, counted_here = _measured_here(monkeypatch)
    given = prep.lint(prep.load(frame, settings), settings=settings, given=give_measures(None, counted))
    assert counted_here == [long]
    assert [f.to_dict() for f in given.findings] == [f.to_dict() for f in alone.findings]
    assert {f.code for f in alone.findings} >= {"TK001", "TK002"}
    assert any(f.data.get("estimated") for f in alone.findings if f.code == "TK001")


@pytest.mark.parametrize("options, why", [
    ({"functions": False}, {"pii": "option functions is false", "tokens": "option functions is false"}),
    ({"rules": {"PI001": {"score-threshold": 0.9}}}, {"pii": "no rule detects with PREP_PII's defaults"}),
    ({"ignore": ["PI001"]}, {"pii": "no rule detects with PREP_PII's defaults"}),
])
def test_no_pushdown_when_the_run_would_measure_otherwise(session, options, why):
    seed_tickets(session)
    warehouse = Warehouse(session)
    summary = lint.run(warehouse, "TICKETS", "llama3-8b", options)
    for kind, reason in why.items():
        assert summary["pushdown"][kind] == {"ran": "procedure", "why": reason}
    pushed = [q for q in warehouse.statements if not q.startswith("SHOW") and (PII_FUNCTION in q or TOKEN_FUNCTION in q)]
    assert not any(PII_FUNCTION in q for q in pushed)
    assert bool(pushed) == ("tokens" not in why)


def test_a_bad_functions_option_is_a_clear_error(session):
    seed_tickets(session)
    for value, message in ((3, "must be the schema of prep's functions"), ("A.B.C", "must name a schema")):
        with pytest.raises(Exception, match=message):
            lint.run(session, "TICKETS", "llama3-8b", {"functions": value})
