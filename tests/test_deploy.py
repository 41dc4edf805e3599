"""The deploy, from its one definition (procs/definition.py): the generated snowflake.yml and sql/procedures.sql are
current; `snow snowpark deploy`, rendered by the Snowflake CLI's own code with only the connection replaced, and
sql/procedures.sql both create each procedure exactly as defined (every import once, the pinned packages, the
artifact repository, caller's rights, COPY GRANTS); the pins are exact, within pyproject.toml's bounds, and are
what the handlers import; and (slow, network) every pin has a CPython 3.11 wheel for manylinux x86_64 and
aarch64."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path, PurePosixPath
from unittest import mock

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

sqlglot = pytest.importorskip("sqlglot")
yaml = pytest.importorskip("yaml")
from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402
from sqlglot import exp  # noqa: E402

from prep.procs import definition as d  # noqa: E402
from tests.test_procs_sql import _statements  # noqa: E402

ENTITIES = (*d.PROCEDURES, *d.FUNCTIONS)  # in the order the generated files create them

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
try:
    import generate_snowflake  # noqa: E402
finally:
    sys.path.pop(0)


# --- one statement, read back --------------------------------------------------------------------------------------

def read_procedure(sql: str) -> dict:
    """What a CREATE PROCEDURE or CREATE FUNCTION statement declares, parsed with sqlglot's Snowflake dialect (the artifact repository
    from the tokens: sqlglot's tree keeps only the last part of ``snowflake.snowpark.pypi_shared_repository``)."""
    statement = sqlglot.parse_one(sql, read="snowflake")
    assert isinstance(statement, exp.Create) and statement.kind in ("PROCEDURE", "FUNCTION"), sql[:120]
    function = statement.this
    target = function.this
    if isinstance(target.this, exp.DynamicIdentifier):  # the CLI writes IDENTIFIER('DB.SCHEMA.NAME')
        name = target.this.this.name
    else:
        name = ".".join(part.name for part in target.parts)
    out = {
        "name": name.upper(),
        "kind": statement.kind,
        "args": [(c.this.name.upper(), c.args["kind"].sql(dialect="snowflake").upper()) for c in function.expressions],
        "copy_grants": False,
        "artifact_repository": _artifact_repository(sql),
    }
    for prop in statement.args["properties"].expressions:
        if isinstance(prop, exp.CopyGrantsProperty):
            out["copy_grants"] = True
        elif isinstance(prop, exp.ReturnsProperty):
            out["returns"] = prop.this.sql(dialect="snowflake").upper()
        elif isinstance(prop, exp.LanguageProperty):
            out["language"] = prop.this.name.upper()
        elif isinstance(prop, exp.ExecuteAsProperty):
            out["execute_as"] = prop.this.name.upper()
        elif isinstance(prop, exp.HandlerProperty):
            out["handler"] = prop.this.name
        elif isinstance(prop, exp.Property):
            key, value = prop.name.upper(), prop.args["value"]
            if key in ("IMPORTS", "PACKAGES"):
                items = value.expressions if isinstance(value, exp.Tuple) else [value.this]
                out[key.lower()] = [item.name for item in items]
            elif key == "RUNTIME_VERSION":
                out["runtime"] = value.name
    return out


def _artifact_repository(sql: str) -> str | None:
    from sqlglot.tokens import TokenType

    tokens = sqlglot.tokenize(sql, read="snowflake")
    for i, token in enumerate(tokens):
        if token.text.upper() == "ARTIFACT_REPOSITORY" and tokens[i + 1].token_type == TokenType.EQ:
            parts, j = [tokens[i + 2].text], i + 3
            while j + 1 < len(tokens) and tokens[j].token_type == TokenType.DOT:
                parts.append(tokens[j + 1].text)
                j += 2
            return ".".join(parts)
    return None


def _sql_type(name: str) -> str:
    """A SQL type as sqlglot writes it back (NUMBER comes back as DECIMAL(38, 0))."""
    return exp.DataType.build(name, dialect="snowflake").sql(dialect="snowflake").upper()


def problems(sql: str, procedure: d.Procedure | d.Function) -> list[str]:
    """How a CREATE PROCEDURE (or FUNCTION) statement differs from the definition of ``procedure`` (empty: it
    matches)."""
    got = read_procedure(sql)
    out = []

    def differ(what, actual, expected):
        if actual != expected:
            out.append(f"{what}: {actual!r}, defined {expected!r}")

    differ("name", got["name"], procedure.qualified_name)
    differ("kind", got["kind"], "PROCEDURE" if isinstance(procedure, d.Procedure) else "FUNCTION")
    differ("arguments", got["args"], [(name.upper(), _sql_type(sql_type)) for name, sql_type in procedure.args])
    if not got["copy_grants"]:
        out.append("no COPY GRANTS: re-creating it would drop its grants")
    differ("returns", got.get("returns"), _sql_type(procedure.returns))
    differ("language", got.get("language"), "PYTHON")
    differ("runtime", got.get("runtime"), d.RUNTIME_VERSION)
    differ("handler", got.get("handler"), procedure.handler)
    differ("execute as", got.get("execute_as"), "CALLER" if isinstance(procedure, d.Procedure) else None)
    differ("artifact repository", (got["artifact_repository"] or "").lower(), d.ARTIFACT_REPOSITORY.lower())
    differ("packages", got.get("packages"), list(d.PACKAGES))
    imports = got.get("imports", [])
    twice = sorted(n for n, k in Counter(PurePosixPath(i).name for i in imports).items() if k > 1)
    if twice:
        out.append(f"imports {', '.join(twice)} more than once (Snowflake refuses two imports of one file name)")
    differ("imports", sorted(set(imports)), sorted(d.stage_imports()))
    return out


# --- the generated files ------------------------------------------------------------------------------------------

def test_the_generated_files_are_current():
    for path, text in generate_snowflake.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(REPO)} is stale: run python tools/generate_snowflake.py")
    assert generate_snowflake.outputs() == generate_snowflake.outputs()  # deterministic


def test_check_names_the_stale_file(tmp_path, monkeypatch, capsys):
    (tmp_path / "sql").mkdir()
    yml, sql = tmp_path / "snowflake.yml", tmp_path / "sql" / "procedures.sql"
    monkeypatch.setattr(generate_snowflake, "ROOT", tmp_path)
    monkeypatch.setattr(generate_snowflake, "YML", yml)
    monkeypatch.setattr(generate_snowflake, "SQL", sql)
    assert generate_snowflake.main([]) == 0
    assert generate_snowflake.main(["--check"]) == 0
    capsys.readouterr()
    sql.write_text(sql.read_text().replace("COPY GRANTS\n", "", 1))
    assert generate_snowflake.main(["--check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "sql/procedures.sql is stale: run `python tools/generate_snowflake.py`", err
    yml.unlink()
    assert generate_snowflake.main(["--check"]) == 1
    assert "snowflake.yml and sql/procedures.sql are stale" in capsys.readouterr().err


def test_snowflake_yml_lists_no_import_twice():
    project = yaml.safe_load((REPO / "snowflake.yml").read_text())
    assert project["definition_version"] == 2
    entities = project["entities"]
    assert [e["identifier"]["name"] for e in entities.values()] == [p.name for p in ENTITIES]
    for entity, defined in zip(entities.values(), ENTITIES):
        assert entity["type"] == ("procedure" if isinstance(defined, d.Procedure) else "function")
        assert [a["src"] for a in entity["artifacts"]] == list(d.artifact_paths())
        assert not entity.get("imports"), "the CLI imports every artifact already; `imports:` would add each again"
        assert entity["packages"] == list(d.PACKAGES)


# --- the definition against the code and pyproject.toml -----------------------------------------------------------

def test_pins_are_exact_and_within_pyproject_bounds():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    environment = {"python_version": d.RUNTIME_VERSION, "python_full_version": d.RUNTIME_VERSION + ".0",
                   "sys_platform": "linux", "platform_system": "Linux", "extra": ""}
    bounds: dict[str, list[Requirement]] = {}
    for line in [*pyproject["dependencies"], *pyproject["optional-dependencies"]["snowflake"]]:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(environment):
            bounds.setdefault(canonicalize_name(req.name), []).append(req)
    for pin in d.PACKAGES:
        req = Requirement(pin)
        assert req.name == canonicalize_name(req.name) and str(req) == pin, pin
        assert [s.operator for s in req.specifier] == ["=="], f"{pin}: pin an exact version"
        version = next(iter(req.specifier)).version
        for bound in bounds.get(req.name, []):
            assert bound.specifier.contains(version, prereleases=True), f"{pin} is outside pyproject's {bound}"
    assert {"presidio-analyzer", "polars", "snowflake-snowpark-python"} <= set(d.package_pins()) & set(bounds)
    assert not {"click", "datasketch"} & set(d.package_pins())  # prep/cli.py; the tests


# Third-party modules the handlers reach, by the distribution that installs them.
DISTRIBUTIONS = {"snowflake.snowpark": "snowflake-snowpark-python", "presidio_analyzer": "presidio-analyzer"}
LOCAL = {"prep", "rules", "procs"}
NOT_IN_SNOWFLAKE = {
    "tomli",  # only below Python 3.11
    "click",  # prep/cli.py only, which is not in prep_code.zip
    # ROUGE-L in prep/evaluate.py: rouge-score has no wheel on PyPI (an sdist only), which Snowflake's PyPI
    # repository needs; without it PREP_EVALUATE reports rouge_l as unavailable (tests/test_evaluate.py)
    "rouge_score",
}


def _imported_modules(path: Path) -> set[str]:
    """Modules a file imports: import statements, and the literal names given to ``_import`` (prep.tokenizers)
    or ``importlib.import_module``."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from prep import cli`
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
              in ("_import", "import_module") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str) and not node.args[0].value.startswith(("rules.", "."))):
            names.add(node.args[0].value)
    return names


def test_packages_are_exactly_what_the_handlers_import():
    files = [p for package in LOCAL for p in (REPO / package).rglob("*.py")
             if p.relative_to(REPO).as_posix() != "prep/cli.py"]
    needed = set()
    for path in files:
        for module in _imported_modules(path):
            top = module.split(".")[0]
            if top in LOCAL or top in sys.stdlib_module_names or top in NOT_IN_SNOWFLAKE:
                continue
            key = "snowflake.snowpark" if module.startswith("snowflake.snowpark") else top
            needed.add(DISTRIBUTIONS.get(key, canonicalize_name(top)))
    assert needed == set(d.package_pins()), (
        f"imported but not pinned: {sorted(needed - set(d.package_pins()))}; "
        f"pinned but not imported: {sorted(set(d.package_pins()) - needed)}")


def test_handlers_import_neither_the_command_line_nor_click():
    modules = sorted({p.handler.rpartition(".")[0] for p in ENTITIES})
    code = (f"import importlib, json, sys; [importlib.import_module(m) for m in {modules!r}]; "
            "print(json.dumps(['prep.cli' in sys.modules, 'click' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert json.loads(done.stdout) == [False, False]
    for path in [p for package in LOCAL for p in (REPO / package).rglob("*.py")]:
        assert not {m for m in _imported_modules(path) if m == "prep.cli"}, path


def test_imports_are_the_files_the_build_writes_and_the_tokenizers_read():
    from prep import tokenizers

    assert d.IMPORTS == (d.CODE_ZIP, *tokenizers.BUNDLED_FILES.values())
    assert d.stage_imports() == tuple(f"@PREP_DB.PREP.PREP_STAGE/{name}" for name in d.IMPORTS)


# --- sql/procedures.sql -------------------------------------------------------------------------------------------

def _script_statements() -> list[str]:
    return _statements((REPO / "sql" / "procedures.sql").read_text())


def test_procedures_sql_creates_each_procedure_as_defined():
    statements = _script_statements()
    assert [read_procedure(s)["name"] for s in statements] == [p.qualified_name for p in ENTITIES]
    for statement, procedure in zip(statements, ENTITIES):
        assert problems(statement, procedure) == [], procedure.name
        assert f"-- {procedure.comment}\n" in statement


def test_copy_grants_is_where_snowflake_puts_it():
    """After the argument list, before RETURNS (CREATE PROCEDURE's grammar)."""
    for statement, defined in zip(_script_statements(), ENTITIES):
        head = statement[statement.index("CREATE OR REPLACE "):]
        assert head.splitlines()[1:3] == ["COPY GRANTS", f"RETURNS {defined.returns}"], head[:200]


# --- snowflake.yml, deployed by the Snowflake CLI's own code ------------------------------------------------------

class _Cursor:
    def __init__(self, rows=()):
        self._rows = list(rows)
        self.rowcount, self.sfqid, self.query, self.description = len(self._rows), "0", "", []

    def __iter__(self):
        return iter(self._rows)

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self):
        return self._rows


def _fake_connection(sent: list[str]):
    """The only thing replaced: a connection that records every statement the CLI sends, answers the warehouse
    check, and says that no procedure exists yet (DESCRIBE fails as it does in Snowflake)."""
    from snowflake.connector.errors import ProgrammingError

    connection = mock.MagicMock(name="connection")
    connection.database = connection.schema = None
    connection.role, connection.warehouse, connection.user, connection.account = "R", "W", "U", "A"

    def execute_stream(stream, **kwargs):
        text = stream.read()
        sent.append(text)
        if text.lstrip().lower().startswith("describe"):
            raise ProgrammingError("does not exist or not authorized")
        yield _Cursor([("W",)] if "current_warehouse()" in text.lower() else [])

    connection.execute_stream.side_effect = execute_stream
    return connection


def snow(project: Path, *args: str, features: dict[str, bool] | None = None) -> list[str]:
    """Runs ``snow <args>`` in-process on ``project`` (the CLI's own app, project loading and commands), with
    ``snowflake.connector.connect`` replaced; returns the SQL it sent."""
    pytest.importorskip("snowflake.cli")
    from snowflake.cli._app.cli_app import CliAppFactory
    from snowflake.cli.api.cli_global_context import _CONNECTION_CACHE, get_cli_context_manager
    from typer.testing import CliRunner

    flags = {"enable_snowpark_glob_support": False, **(features or {})}
    config = project.parent / "config.toml"
    config.write_text("\n".join([
        "[cli]", "ignore_new_version_warning = true", "[cli.logs]", "save_logs = false", "[cli.features]",
        *(f"{k} = {str(v).lower()}" for k, v in flags.items()),
        "[connections.fake]", *(f'{k} = "fake"' for k in ("account", "user", "password", "warehouse")), "",
    ]))
    config.chmod(0o600)
    sent: list[str] = []
    cwd = os.getcwd()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")}
    try:
        os.chdir(project)  # the CLI resolves some artifact paths against the working directory
        with mock.patch.dict(os.environ, env, clear=True), \
                mock.patch("snowflake.connector.connect", side_effect=lambda **kw: _fake_connection(sent)):
            result = CliRunner().invoke(CliAppFactory().create_or_get_app(),
                                        ["--config-file", str(config), *args, "--connection", "fake",
                                         "--project", str(project)])
    finally:
        os.chdir(cwd)
        _CONNECTION_CACHE.clear()
        get_cli_context_manager().reset()
    assert result.exit_code == 0, result.output
    return sent


def _project(tmp_path: Path, yml_text: str) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "snowflake.yml").write_text(yml_text)
    for path in d.artifact_paths():  # what tools/build_artifacts.py writes; the CLI only uploads them
        (project / path).parent.mkdir(parents=True, exist_ok=True)
        (project / path).write_bytes(b"built by tools/build_artifacts.py")
    return project


def _creates(sent: list[str]) -> dict[str, str]:
    creates = [s for s in sent if s.lstrip().lower().startswith(("create or replace procedure",
                                                                 "create or replace function"))]
    by_name = {read_procedure(s)["name"]: s for s in creates}
    assert len(by_name) == len(creates), "a procedure was created twice"
    return by_name


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> list[str]:
    return snow(_project(tmp_path_factory.mktemp("deploy"), (REPO / "snowflake.yml").read_text()),
                "snowpark", "deploy", "--replace")


def test_deploy_creates_each_procedure_and_function_as_defined(deployed):
    creates = _creates(deployed)
    assert list(creates) == [p.qualified_name for p in ENTITIES]
    for procedure in ENTITIES:
        assert problems(creates[procedure.qualified_name], procedure) == [], procedure.name


def test_deploy_uploads_each_build_file_once_to_the_stage(deployed):
    puts = [s.split() for s in deployed if s.lstrip().lower().startswith("put ")]
    assert sorted(PurePosixPath(p[1]).name for p in puts) == sorted(d.IMPORTS)
    assert {p[2] for p in puts} == {f"@{d.STAGE}/"}


def test_the_deploy_check_catches_a_file_imported_twice(tmp_path):
    """The defect this replaced: `imports:` listing the tokenizer files that `artifacts:` already imports."""
    project = yaml.safe_load((REPO / "snowflake.yml").read_text())
    entity = project["entities"]["prep_lint"]
    entity["imports"] = [f"@{d.STAGE}/{name}" for name in d.TOKENIZER_FILES]
    creates = _creates(snow(_project(tmp_path, yaml.safe_dump(project, sort_keys=False)),
                            "snowpark", "deploy", "--replace"))
    found = problems(creates["PREP_DB.PREP.PREP_LINT"], d.PROCEDURES[0])
    assert found == ["imports llama3-tokenizer.model, mistral-v1-tokenizer.model more than once (Snowflake refuses "
                     "two imports of one file name)"], found


@pytest.mark.slow  # several seconds; CI runs it
def test_snowpark_build_is_not_needed_and_skip_dependencies_builds_nothing_else(tmp_path):
    """Deploy reads the prebuilt artifacts where they are; with the CLI's new build layout switched on (feature
    flag enable_snowpark_glob_support) deploy wants them under output/bundle/, which `snow snowpark build
    --skip-dependencies` puts there without resolving any dependency, and the procedures come out the same."""
    project = _project(tmp_path, (REPO / "snowflake.yml").read_text())
    glob = {"enable_snowpark_glob_support": True}
    built = snow(project, "snowpark", "build", "--skip-dependencies", features=glob)
    assert built == [] or all("current_warehouse" in s for s in built)
    assert sorted(p.name for p in (project / "output" / "bundle" / "snowpark").iterdir()) == sorted(d.IMPORTS)
    assert not (project / "dependencies.zip").exists() and not (project / "requirements.snowflake.txt").exists()
    creates = _creates(snow(project, "snowpark", "deploy", "--replace", features=glob))
    for procedure in d.PROCEDURES:
        assert problems(creates[procedure.qualified_name], procedure) == [], procedure.name


# --- the wheels Snowflake installs (network) ----------------------------------------------------------------------

@pytest.mark.slow
def test_every_pin_has_a_cpython_311_wheel_for_manylinux_x86_64_and_aarch64():
    done = subprocess.run([sys.executable, str(REPO / "tools" / "check_wheels.py")], capture_output=True, text=True,
                          cwd=REPO, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
