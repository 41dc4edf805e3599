"""sql/ and snowflake.yml against the handlers: every CREATE PROCEDURE parses (sqlglot, Snowflake dialect) and
matches its handler's module, function, argument count and types; each handler registers and answers a CALL
through Snowpark local testing."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")
pytest.importorskip("snowflake.snowpark")
yaml = pytest.importorskip("yaml")
from sqlglot import exp  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SQL_TYPES = {"VARCHAR": str, "TEXT": str, "VARIANT": dict, "OBJECT": dict}


def _statements(text: str) -> list[str]:
    """The statements of a script, split at the semicolons sqlglot's Snowflake tokenizer finds (a procedure without
    an AS body makes sqlglot's parser read past its semicolon, so each statement is parsed on its own)."""
    from sqlglot.tokens import TokenType

    cuts = [t.end for t in sqlglot.tokenize(text, read="snowflake") if t.token_type == TokenType.SEMICOLON]
    starts = [0, *(c + 1 for c in cuts)]
    return [text[a:b] for a, b in zip(starts, cuts)]


def _procedures() -> list[dict]:
    out = []
    for text in _statements((REPO / "sql" / "procedures.sql").read_text()):
        statement = sqlglot.parse_one(text, read="snowflake")
        assert isinstance(statement, exp.Create) and statement.kind == "PROCEDURE", statement.sql()[:80]
        function = statement.this
        properties = {}
        for prop in statement.args["properties"].expressions:
            if isinstance(prop, exp.ReturnsProperty):
                properties["RETURNS"] = prop.this.sql(dialect="snowflake")
            elif isinstance(prop, exp.LanguageProperty):
                properties["LANGUAGE"] = prop.this.name
            elif isinstance(prop, exp.ExecuteAsProperty):
                properties["EXECUTE AS"] = prop.this.name
            elif isinstance(prop, exp.HandlerProperty):
                properties["HANDLER"] = prop.this
            elif isinstance(prop, exp.Property):
                properties[prop.name.upper()] = prop.args["value"]
        out.append({
            "name": function.this.name,
            "args": [(c.this.name, c.args["kind"].sql(dialect="snowflake")) for c in function.expressions],
            "properties": properties,
            "text": statement.sql(dialect="snowflake"),
        })
    return out


PROCEDURES = _procedures()


def _handler(path: str):
    module, _, function = path.rpartition(".")
    return getattr(importlib.import_module(module), function)


def test_every_sql_script_parses():
    for script in ("setup.sql", "procedures.sql", "example.sql"):
        text = (REPO / "sql" / script).read_text()
        statements = _statements(text)
        assert statements, script
        for statement in statements:
            if statement.strip() and not all(line.strip().startswith("--") or not line.strip() for line in statement.splitlines()):
                assert sqlglot.parse_one(statement, read="snowflake") is not None, statement[:80]


def test_every_handler_has_a_procedure():
    handlers = {p["properties"]["HANDLER"].name for p in PROCEDURES}
    assert handlers == {"procs.lint.run", "procs.prepare.run", "procs.finetune.run", "procs.jobs.status",
                        "procs.jobs.cancel", "procs.jobs.list"}


@pytest.mark.parametrize("procedure", PROCEDURES, ids=lambda p: p["name"])
def test_procedure_matches_its_handler(procedure):
    props = procedure["properties"]
    assert props["LANGUAGE"] == "PYTHON" and props["RUNTIME_VERSION"].name == "3.11"
    assert props["EXECUTE AS"] == "CALLER"
    assert props["RETURNS"] == "VARIANT"
    imports = [e.name for e in props["IMPORTS"].expressions]
    assert imports == ["@PREP_DB.PREP.PREP_STAGE/prep_code.zip", "@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model",
                       "@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model"]
    packages = {e.name for e in props["PACKAGES"].expressions}
    assert {"snowflake-snowpark-python", "polars", "tiktoken", "presidio-analyzer", "sqlglot"} <= packages
    handler = _handler(props["HANDLER"].name)
    parameters = list(inspect.signature(handler).parameters.values())
    assert parameters[0].name == "session"
    hints = inspect.get_annotations(handler, eval_str=True)
    assert [p.name.upper() for p in parameters[1:]] == [name for name, _ in procedure["args"]]
    for name, sql_type in procedure["args"]:
        assert hints[name.lower()] is SQL_TYPES[sql_type], (name, sql_type)
    assert hints["return"] is dict


def test_snowflake_yml_declares_the_same_procedures():
    project = yaml.safe_load((REPO / "snowflake.yml").read_text())
    assert project["definition_version"] == 2
    entities = {e["identifier"]["name"]: e for e in project["entities"].values()}
    assert set(entities) == {p["name"] for p in PROCEDURES}
    for procedure in PROCEDURES:
        entity = entities[procedure["name"]]
        assert entity["type"] == "procedure" and entity["handler"] == procedure["properties"]["HANDLER"].name
        assert [(a["name"].upper(), a["type"].upper()) for a in entity["signature"]] == procedure["args"]
        assert entity["returns"] == "variant" and entity["runtime"] == "3.11" and entity["execute_as_caller"] is True


def test_build_artifacts_make_what_the_procedures_import(tmp_path):
    import sys
    import zipfile

    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_artifacts import build
    finally:
        sys.path.pop(0)
    written = {p.name for p in build(tmp_path)}
    assert written == {"prep_code.zip", "llama3-tokenizer.model", "mistral-v1-tokenizer.model"}
    names = zipfile.ZipFile(tmp_path / "prep_code.zip").namelist()
    assert {"procs/lint.py", "prep/data/models.toml", "rules/pi001_pii_detected.py"} <= set(names)


def test_tokenizers_load_from_the_import_directory(tmp_path, monkeypatch):
    """In Snowflake the tokenizer files are IMPORTS; prep.tokenizers must find them there."""
    import sys

    from prep import tokenizers

    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_artifacts import build
    finally:
        sys.path.pop(0)
    build(tmp_path)
    monkeypatch.setitem(sys._xoptions, "snowflake_import_directory", str(tmp_path))
    data, origin = tokenizers._package_file("llama_models", ("llama3", "tokenizer.model"), "llama-models", "llama3")
    assert origin.startswith("bundled file") and data == (tmp_path / "llama3-tokenizer.model").read_bytes()


def test_each_handler_registers_and_answers_a_call_in_local_testing():
    """Snowpark local testing has no session.sql, so a full run is tested on fakesnow (test_procs.py); here each
    handler is registered with its SQL signature and called, and its argument checks answer through CALL."""
    from snowflake.snowpark import Session
    from snowflake.snowpark.types import StringType, VariantType

    types = {"VARCHAR": StringType(), "VARIANT": VariantType()}
    session = Session.builder.config("local_testing", True).create()
    refusals = {
        "PREP_LINT": (("T; DROP TABLE T", "llama3-8b", {}), "single SELECT"),
        "PREP_PREPARE": (("T", "bad name;", "llama3-8b", {}), "not a valid object name"),
        "PREP_FINETUNE": (("DS;", "M", "llama3-8b", {}), "not a valid object name"),
        "PREP_JOB_STATUS": (("",), "job_id must be the id FINETUNE returned"),
        "PREP_JOB_CANCEL": (("",), "job_id must be the id FINETUNE returned"),
        "PREP_JOBS_LIST": ((), "Session.sql is not supported"),  # reaches its first query
    }
    for procedure in PROCEDURES:
        handler = _handler(procedure["properties"]["HANDLER"].name)
        session.sproc.register(
            handler,
            name=procedure["name"],
            return_type=VariantType(),
            input_types=[types[t] for _, t in procedure["args"]],
            replace=True,
        )
        args, message = refusals[procedure["name"]]
        with pytest.raises(Exception, match=message):
            session.call(procedure["name"], *args)
