"""sql/ and the procedures' definition (procs/definition.py) against the handlers: every SQL script parses (sqlglot,
Snowflake dialect); each defined procedure matches its handler's module, function, argument names and types; the
build writes what the procedures import; each handler registers and answers a CALL through Snowpark local testing.
That snowflake.yml and sql/procedures.sql are generated from the definition, and what they create: test_deploy.py."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

sqlglot = pytest.importorskip("sqlglot")
pytest.importorskip("snowflake.snowpark")

from prep.procs import definition  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SQL_TYPES = {"VARCHAR": (str,), "TEXT": (str,), "VARIANT": (dict, list), "OBJECT": (dict,), "NUMBER": (int,)}


def _statements(text: str) -> list[str]:
    """The statements of a script, split at the semicolons sqlglot's Snowflake tokenizer finds (a procedure without
    an AS body makes sqlglot's parser read past its semicolon, so each statement is parsed on its own)."""
    from sqlglot.tokens import TokenType

    cuts = [t.end for t in sqlglot.tokenize(text, read="snowflake") if t.token_type == TokenType.SEMICOLON]
    starts = [0, *(c + 1 for c in cuts)]
    return [text[a:b] for a, b in zip(starts, cuts)]


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
    handlers = {p.handler for p in definition.PROCEDURES}
    assert handlers == {"prep.procs.lint.run", "prep.procs.prepare.run", "prep.procs.finetune.run", "prep.procs.jobs.status",
                        "prep.procs.jobs.cancel", "prep.procs.jobs.list", "prep.procs.label.run", "prep.procs.evaluate.run",
                        "prep.procs.models.promote", "prep.procs.models.rollback", "prep.procs.retrain.run",
                        "prep.procs.models.unused"}
    assert len({p.name for p in definition.PROCEDURES}) == len(definition.PROCEDURES)


def _sql_type_of(hint):
    """The Python type of a handler parameter, an optional one (``dict | None``) counting as its type."""
    args = [a for a in getattr(hint, "__args__", ()) if a is not type(None)]
    return args[0] if len(args) == 1 else hint


@pytest.mark.parametrize("procedure", definition.PROCEDURES, ids=lambda p: p.name)
def test_procedure_matches_its_handler(procedure):
    assert procedure.returns == "VARIANT"
    handler = _handler(procedure.handler)
    parameters = list(inspect.signature(handler).parameters.values())
    assert parameters[0].name == "session"
    hints = inspect.get_annotations(handler, eval_str=True)
    assert [p.name for p in parameters[1:]] == [name for name, _ in procedure.args]
    for name, sql_type in procedure.args:
        assert _sql_type_of(hints[name]) in SQL_TYPES[sql_type], (name, sql_type, hints[name])
    assert hints["return"] is dict


def test_build_artifacts_make_what_the_procedures_import(tmp_path):
    import sys
    import zipfile

    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_artifacts import build
    finally:
        sys.path.pop(0)
    written = [p.name for p in build(tmp_path)]
    assert written == list(definition.IMPORTS) == ["prep_code.zip", "llama3-tokenizer.model",
                                                   "mistral-v1-tokenizer.model"]
    names = zipfile.ZipFile(tmp_path / "prep_code.zip").namelist()
    assert {"prep/procs/lint.py", "prep/procs/definition.py", "prep/data/models.toml", "prep/rules/pi001_pii_detected.py"} <= set(names)
    assert not any(name.startswith(("rules/", "procs/")) for name in names)  # as installed: inside prep
    assert "prep/cli.py" not in names  # the command line; no handler imports it


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
    from snowflake.snowpark.types import LongType, StringType, VariantType

    types = {"VARCHAR": StringType(), "VARIANT": VariantType(), "NUMBER": LongType()}
    session = Session.builder.config("local_testing", True).create()
    refusals = {
        "PREP_LINT": (("T; DROP TABLE T", "llama3-8b", {}), "single SELECT"),
        "PREP_PREPARE": (("T", "bad name;", "llama3-8b", {}), "not a valid object name"),
        "PREP_FINETUNE": (("DS;", "M", "llama3-8b", {}), "not a valid object name"),
        "PREP_JOB_STATUS": (("", {}), "job_id must be the id FINETUNE returned"),
        "PREP_JOB_CANCEL": (("", {}), "job_id must be the id FINETUNE returned"),
        "PREP_JOBS_LIST": (({},), "Session.sql is not supported"),  # reaches its first query
        "PREP_LABEL": (("T", " ", ["A"], "m", {}), "instruction must say what to label"),
        "PREP_EVALUATE": (("DS;", ["m"], {}), "not a valid object name"),
        "PREP_PROMOTE": (("UC;", "m", {}), "not a valid object name"),
        "PREP_ROLLBACK": (("UC;", {}), "not a valid object name"),
        "PREP_RETRAIN": (("T", "DS", "UC", "llama3-8b", {"promote": "always"}), "promote must be 'if_better'"),
        "PREP_UNUSED_MODELS": ((0, {}), "days must be a whole number"),
    }
    assert set(refusals) == {p.name for p in definition.PROCEDURES}
    for procedure in definition.PROCEDURES:
        session.sproc.register(
            _handler(procedure.handler),
            name=procedure.name,
            return_type=VariantType(),
            input_types=[types[t] for _, t in procedure.args],
            replace=True,
        )
        args, message = refusals[procedure.name]
        assert len(args) == len(procedure.args)
        with pytest.raises(Exception, match=message):
            session.call(procedure.name, *args)
