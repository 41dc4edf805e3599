"""The README's Snowflake section, in its order, on fakesnow, as far as fakesnow allows.

The section names the SQL files a user runs; each must exist, and they run here in that order: every statement
fakesnow can run runs; a ``CALL`` runs the procedure's handler with the arguments as written (parsed from the
SQL, so a call that does not match the handler's signature fails here); ``SET x = (... RESULT_SCAN(LAST_QUERY_ID()))``
takes the value from the previous CALL's result, as Snowflake would. What fakesnow cannot run (roles, warehouses,
grants, CREATE PROCEDURE) is listed and checked to be of those kinds only; it stays unverified here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("fakesnow")
pytest.importorskip("snowflake.snowpark")
sqlglot = pytest.importorskip("sqlglot")

import fakesnow  # noqa: E402, F401

from tests.conftest import fakesnow_server  # noqa: E402
from snowflake.snowpark import Session  # noqa: E402
from sqlglot import exp  # noqa: E402

from prep.procs import cortex  # noqa: E402
from prep.procs.definition import PROCEDURES  # noqa: E402
from tests.cortex_double import CompleteDouble, CortexDouble, keyword_responder  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOT_ON_FAKESNOW = re.compile(r"^(USE (ROLE|WAREHOUSE)|GRANT|CREATE (OR REPLACE )?(PROCEDURE|FUNCTION|TASK)|"
                             r"ALTER TASK|PUT)\b", re.IGNORECASE)  # fakesnow runs no Python procedure, UDF or task


def _statements(path: Path) -> list[str]:
    from sqlglot.tokens import TokenType

    text = path.read_text(encoding="utf-8")
    cuts = [t.end for t in sqlglot.tokenize(text, read="snowflake") if t.token_type == TokenType.SEMICOLON]
    starts = [0, *(c + 1 for c in cuts)]
    out = []
    for a, b in zip(starts, cuts):
        lines = [line for line in text[a:b].splitlines() if not line.strip().startswith("--")]
        statement = "\n".join(lines).strip()
        if statement:
            out.append(statement)
    return out


def _value(node, variables):
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else json.loads(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Array):
        return [_value(e, variables) for e in node.expressions]
    if isinstance(node, exp.Struct):
        return {item.this.name: _value(item.expression, variables) for item in node.expressions}
    if isinstance(node, exp.Parameter):
        return variables[node.this.name.upper()]
    raise AssertionError(f"unsupported argument in a CALL: {node.sql()}")


def _call(statement: str, session, variables):
    match = re.match(r"CALL\s+([\w.$]+)\s*\((.*)\)\s*$", statement, re.IGNORECASE | re.DOTALL)
    assert match, statement
    name = match.group(1).split(".")[-1].upper()
    procedure = next(p for p in PROCEDURES if p.name == name)
    call = sqlglot.parse_one(f"SELECT F({match.group(2)})", read="snowflake").expressions[0]
    args = [_value(a, variables) for a in call.expressions]
    assert len(args) == len(procedure.args), f"{name} takes {len(procedure.args)} arguments, the SQL gives {len(args)}"
    module, function = procedure.handler.rsplit(".", 1)
    handler = getattr(__import__(module, fromlist=[function]), function)
    result = handler(session, *args)
    json.dumps(result)  # a VARIANT: plain JSON
    return result


def _readme_files() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## In Snowflake", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"\bsql/[\w.]+\.sql\b", section)


def test_the_readme_names_the_sql_files_in_the_order_they_run():
    named = list(dict.fromkeys(_readme_files()))
    assert named[:2] == ["sql/setup.sql", "sql/procedures.sql"]
    assert named.index("sql/cost.sql") < named.index("sql/example.sql") < named.index("sql/retrain_task.sql")
    for name in named:
        assert (REPO / name).is_file(), name


@pytest.mark.slow  # several seconds; CI runs it
def test_the_walkthrough_runs_top_to_bottom(monkeypatch):
    double = CortexDouble()
    monkeypatch.setattr(cortex, "client", lambda _session: cortex.CortexClient(double))
    skipped, variables, last = [], {}, None
    with fakesnow_server() as kwargs:
        raw = Session.builder.configs(kwargs).create()
        session = CompleteDouble(raw, keyword_responder)
        try:
            _account_usage(raw)
            session.sql("CREATE DATABASE SUPPORT_DB").collect()
            session.sql("CREATE SCHEMA SUPPORT_DB.PUBLIC").collect()
            words = "bill roaming fee trip abroad charge refund data speed slow router home video call line".split()
            rows = [(i, " ".join(words[(i * k) % len(words)] for k in range(1, 10)) + f" ticket {i} "
                     + ("roaming", "slow", "lost", "unclear")[i % 4]) for i in range(160)]
            session.sql("CREATE TABLE SUPPORT_DB.PUBLIC.TICKETS (TICKET_ID NUMBER, REQUEST VARCHAR)").collect()
            session.sql("INSERT INTO SUPPORT_DB.PUBLIC.TICKETS VALUES " + ", ".join("(?, ?)" for _ in rows),
                        params=[v for row in rows for v in row]).collect()
            for name in dict.fromkeys(_readme_files()):
                for statement in _statements(REPO / name):
                    if NOT_ON_FAKESNOW.match(statement):
                        skipped.append(statement.split("\n")[0][:60])
                        continue
                    if statement.upper().startswith("CALL"):
                        last = _call(statement, session, variables)
                        continue
                    set_from_result = re.match(r"SET\s+(\w+)\s*=\s*\(SELECT \$1:(\w+)::VARCHAR FROM TABLE\(RESULT_SCAN\("
                                               r"LAST_QUERY_ID\(\)\)\)\)$", statement, re.IGNORECASE)
                    if set_from_result:
                        variables[set_from_result.group(1).upper()] = str(last[set_from_result.group(2)])
                        continue
                    session.sql(statement).collect()
        finally:
            try:
                raw.close()
            except Exception:  # fakesnow cannot cancel queries on close
                pass
    assert variables == {"JOB_ID": "ft_0001"}
    assert [c[0] for c in double.calls] == ["CREATE", "DESCRIBE", "SHOW"]
    assert double.calls[0][1][0] == "SUPPORT_V1"  # the use case's first version
    assert last["days"] == 30 and [m["model"] for m in last["unused"]] == ["DB.S.SUPPORT_MODEL_1"]
    models = {m for m, _, _ in session.calls}
    assert models == {"llama3.1-70b", "DB.S.SUPPORT_MODEL_1", "llama3.1-8b"}  # labeller, tuned, base (and judge)
    assert session.statements == 5  # label 1; evaluate 2 models x (answers + judge): one statement each, never per row
    kinds = {re.match(NOT_ON_FAKESNOW, s).group(1).upper() for s in skipped}
    assert kinds <= {"USE ROLE", "USE WAREHOUSE", "GRANT", "CREATE OR REPLACE PROCEDURE", "CREATE PROCEDURE",
                     "CREATE OR REPLACE FUNCTION", "CREATE FUNCTION", "CREATE OR REPLACE TASK", "ALTER TASK"}, kinds


def _account_usage(session) -> None:
    """ACCOUNT_USAGE's two Cortex usage views, as tables (columns from ../shared/docs/cortex-facts.md)."""
    session.sql("CREATE DATABASE IF NOT EXISTS SNOWFLAKE").collect()
    session.sql("CREATE SCHEMA IF NOT EXISTS SNOWFLAKE.ACCOUNT_USAGE").collect()
    for view in ("CORTEX_FINE_TUNING_USAGE_HISTORY", "CORTEX_FUNCTIONS_USAGE_HISTORY"):
        session.sql(f"CREATE OR REPLACE TABLE SNOWFLAKE.ACCOUNT_USAGE.{view} (START_TIME TIMESTAMP_NTZ, END_TIME "
                    "TIMESTAMP_NTZ, FUNCTION_NAME VARCHAR, MODEL_NAME VARCHAR, TOKEN_CREDITS FLOAT, TOKENS NUMBER)"
                    ).collect()


def test_setup_grants_work_in_the_documented_order():
    """Finding 2: setup runs before the deploy, so it grants on FUTURE procedures (ALL PROCEDURES would cover none
    yet), and it grants what a non-admin caller needs: the warehouse, the source, the PyPI repository and Cortex."""
    statements = [" ".join(s.split()).upper() for s in _statements(REPO / "sql" / "setup.sql")]
    grants = [s for s in statements if s.startswith("GRANT")]
    assert not [g for g in grants if "ON ALL PROCEDURES" in g]
    assert any("USAGE ON FUTURE PROCEDURES IN SCHEMA PREP_DB.PREP" in g for g in grants)
    for needed in ("DATABASE ROLE SNOWFLAKE.PYPI_REPOSITORY_USER", "DATABASE ROLE SNOWFLAKE.CORTEX_USER",
                   "USAGE ON WAREHOUSE", "SELECT ON TABLE SUPPORT_DB.PUBLIC.TICKETS", "CREATE MODEL ON SCHEMA"):
        assert any(needed in g for g in grants), needed
    assert all("COPY GRANTS" in s.upper() for s in _statements(REPO / "sql" / "procedures.sql"))


def test_the_example_needs_no_hand_edits_beyond_names():
    """Finding 9: no placeholder to fill in; a warehouse; the job id flows from FINETUNE to the status step."""
    text = (REPO / "sql" / "example.sql").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    assert "<" not in code and "USE WAREHOUSE" in code
    assert "SET JOB_ID" in code and "PREP_JOB_STATUS($JOB_ID" in code
