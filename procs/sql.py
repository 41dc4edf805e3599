"""Safe SQL for the handlers: identifiers validated and quoted, sources checked with a real SQL parser.

No value is ever formatted into SQL: values are bound (``?``). Identifiers cannot be bound everywhere (a view's
body, a qualified name in some servers), so they are parsed into parts, validated, and written quoted: an unquoted
part must be a plain identifier (letters, digits, ``_``, ``$``; upper-cased, as Snowflake does), a quoted part
may hold anything but is re-quoted with its quotes doubled. Anything else (a semicolon, a space outside quotes, a
fourth part) is refused with a clear error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from prep.errors import PrepError


class ProcError(PrepError):
    """A refused argument or state: the procedure fails with this one-line message."""


_PART = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')


@dataclass(frozen=True)
class Name:
    """A validated object name of one to three parts (``name``, ``schema.name``, ``db.schema.name``)."""

    parts: tuple[str, ...]  # the identifiers as Snowflake resolves them (unquoted parts upper-cased)

    @classmethod
    def parse(cls, text: str, what: str = "name") -> Name:
        if not isinstance(text, str) or not text.strip():
            raise ProcError(f"{what} must be a non-empty object name")
        text = text.strip()
        parts, position = [], 0
        while True:
            match = _PART.match(text, position)
            if match is None:
                raise ProcError(f"{what} {text!r} is not a valid object name (letters, digits, _ and $, or a quoted name)")
            quoted, plain = match.groups()
            parts.append(quoted.replace('""', '"') if quoted is not None else plain.upper())
            position = match.end()
            if position == len(text):
                break
            if text[position] != ".":
                raise ProcError(f"{what} {text!r} is not a valid object name")
            position += 1
        if len(parts) > 3 or any(len(p) > 255 for p in parts):
            raise ProcError(f"{what} {text!r} is not a valid object name (at most database.schema.name)")
        return cls(tuple(parts))

    @property
    def sql(self) -> str:
        return ".".join('"' + p.replace('"', '""') + '"' for p in self.parts)

    @property
    def last(self) -> str:
        return self.parts[-1]

    def with_suffix(self, suffix: str) -> Name:
        return Name((*self.parts[:-1], self.parts[-1] + suffix))

    def sibling(self, name: str) -> Name:
        """An object named ``name`` in the same schema as this one."""
        return Name((*self.parts[:-1], name))

    def qualified(self, session) -> Name:
        """Fully qualified with the session's current database and schema."""
        if len(self.parts) == 3:
            return self
        database, schema = session.sql("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()").collect()[0]
        if not database or not schema:
            raise ProcError("no current database or schema: USE SCHEMA first, or give a qualified name")
        prefix = (database, schema) if len(self.parts) == 1 else (database,)
        return Name((*prefix, *self.parts))


# What a source may not hold: anything that turns a string into SQL or an object name (IDENTIFIER, TABLE(...)),
# a table function, a stage, and system functions (SYSTEM$..., some of which act on the account).
_REFUSED_NODES = {
    "DynamicIdentifier": "IDENTIFIER(...), which turns a string into an object name",
    "TableFromRows": "TABLE(...), a table function",
    "Lateral": "LATERAL, a table function",
    "Explode": "FLATTEN, a table function",
    "Unnest": "a table function",
}
_REFUSED_FUNCTIONS = ("SYSTEM$", "RESULT_SCAN", "IDENTIFIER", "TABLE", "GENERATOR", "FLATTEN", "SPLIT_TO_TABLE")


def check_source(source: str) -> str:
    """The SQL that reads ``source``: ``SELECT * FROM`` a validated table or view name, or the user's own text when
    it is exactly one plain SELECT over tables and views (checked with sqlglot's Snowflake dialect; what runs is
    the text as written, wrapped as a subquery by the caller, never a re-generation that depends on sqlglot's
    version). Everything else is refused with the reason."""
    if not isinstance(source, str) or not source.strip():
        raise ProcError("source must be a table or view name, or a SELECT statement")
    try:
        return f"SELECT * FROM {Name.parse(source, 'source').sql}"
    except ProcError:
        pass
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(source, read="snowflake") if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProcError(f"source is neither an object name nor a valid SELECT: {first[:200]}") from None
    if len(statements) != 1:
        raise ProcError(f"source must be a single SELECT statement, got {len(statements)} statements")
    (statement,) = statements
    if not isinstance(statement, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
        raise ProcError(f"source must be a SELECT statement, got {statement.key.upper()}")
    forbidden = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Command, exp.Alter)
    for node in statement.walk():
        if isinstance(node, forbidden):
            raise ProcError("source must be a plain SELECT (no data or schema changes inside it)")
        why = _REFUSED_NODES.get(type(node).__name__)
        if why is None and isinstance(node, exp.Table) and not isinstance(node.this, exp.Identifier):
            why = _REFUSED_NODES.get(type(node.this).__name__) or (
                "a table reference that is not a table or view name (a stage, a variable or a function)"
            )
        if why is None and isinstance(node, (exp.Anonymous, exp.Func)):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).upper()
            if name.startswith(_REFUSED_FUNCTIONS):
                why = f"{name}(...)"
        if why is not None:
            raise ProcError(f"source may read only tables and views; it uses {why}")
    text = source.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def subquery(query: str) -> str:
    """``query`` as a subquery; the newlines keep a trailing ``--`` comment from swallowing the parenthesis."""
    return f"(\n{query}\n) AS SRC"


def as_options(options: Any) -> dict[str, Any]:
    """The ``options`` argument (a VARIANT object, a JSON string, or NULL) as a dict."""
    if options is None:
        return {}
    if isinstance(options, str):
        try:
            options = json.loads(options) if options.strip() else {}
        except json.JSONDecodeError as exc:
            raise ProcError(f"options must be a JSON object: {exc}") from None
    if not isinstance(options, dict):
        raise ProcError(f"options must be an object, got {type(options).__name__}")
    return options


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


# --- the record tables (the job registry) ------------------------------------------------------------------

RUNS = "PREP_RUNS"
FINDINGS = "PREP_FINDINGS"
JOBS = "PREP_JOBS"
PREDICTIONS = "PREP_PREDICTIONS"
EVALS = "PREP_EVALS"
MODELS = "PREP_MODELS"

DDL = {
    RUNS: "RUN_ID VARCHAR, KIND VARCHAR, SOURCE VARCHAR, DATASET VARCHAR, BASE_MODEL VARCHAR, OPTIONS VARCHAR, "
    "SUMMARY VARCHAR, CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()",
    FINDINGS: "RUN_ID VARCHAR, CODE VARCHAR, NAME VARCHAR, SEVERITY VARCHAR, SOURCE VARCHAR, ROW_INDEX NUMBER, "
    "FIELD VARCHAR, MESSAGE VARCHAR, DATA VARCHAR",
    JOBS: "JOB_ID VARCHAR, MODEL_NAME VARCHAR, FINAL_MODEL VARCHAR, BASE_MODEL VARCHAR, DATASET VARCHAR, "
    "DATASET_FINGERPRINT VARCHAR, RUN_ID VARCHAR, OPTIONS VARCHAR, FORCED BOOLEAN, STATUS VARCHAR, "
    "LAST_DESCRIBE VARCHAR, CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(), UPDATED_ON TIMESTAMP_NTZ, "
    "BACKEND VARCHAR, USE_CASE VARCHAR, VERSION NUMBER",
    # every answer PREP_EVALUATE (KIND 'evaluate') or PREP_LABEL (KIND 'label') got from AI_COMPLETE, one per row
    # and model: the row's key in the evaluated view, the answer, its tokens, and the judge's score when asked
    PREDICTIONS: "RUN_ID VARCHAR, KIND VARCHAR, MODEL VARCHAR, ROW_INDEX NUMBER, ROW_HASH VARCHAR, PREDICTION VARCHAR, "
    "PROMPT_TOKENS NUMBER, COMPLETION_TOKENS NUMBER, JUDGE_SCORE NUMBER, JUDGE_TOKENS NUMBER, "
    "CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()",
    # one row per evaluation and model: what was evaluated and the metrics (prep.evaluate.score), to compare runs
    EVALS: "EVAL_ID VARCHAR, DATASET VARCHAR, VIEW_NAME VARCHAR, MODEL VARCHAR, ROLE VARCHAR, JOB_ID VARCHAR, "
    "ROWS_EVALUATED NUMBER, METRICS VARCHAR, TOKENS NUMBER, CREDITS FLOAT, "
    "CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()",
    # promotions and rollbacks, never updated: the latest row per use case names the current model
    MODELS: "USE_CASE VARCHAR, SEQ NUMBER, EVENT VARCHAR, MODEL VARCHAR, VERSION NUMBER, JOB_ID VARCHAR, "
    "PREVIOUS_MODEL VARCHAR, EVAL_ID VARCHAR, REASON VARCHAR, CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()",
}

# Columns added to a record table after its first release: a registry created by an older prep gets them
ADDED_COLUMNS = {JOBS: ("USE_CASE VARCHAR", "VERSION NUMBER")}


def record_table(session, options: dict[str, Any], table: str) -> Name:
    """The record table ``table`` in ``options["registry_schema"]`` (default: the current schema), created if
    missing."""
    schema = options.get("registry_schema")
    if schema:
        base = Name.parse(schema, "registry_schema")
        if len(base.parts) == 3:
            raise ProcError(f"registry_schema {schema!r} must name a schema (schema or database.schema)")
        if len(base.parts) == 1:  # a schema of the current database
            database = session.sql("SELECT CURRENT_DATABASE()").collect()[0][0]
            if not database:
                raise ProcError("no current database: USE DATABASE first, or give registry_schema as database.schema")
            base = Name((database, *base.parts))
        name = Name((*base.parts, table))
    else:
        name = Name((table,)).qualified(session)
    session.sql(f"CREATE TABLE IF NOT EXISTS {name.sql} ({DDL[table]})").collect()
    for column in ADDED_COLUMNS.get(table, ()):
        session.sql(f"ALTER TABLE {name.sql} ADD COLUMN IF NOT EXISTS {column}").collect()
    return name


# Rows reach a table as one bound JSON array per statement, read back with FLATTEN: about INSERT_BYTES of JSON a
# statement, so a run's 40,000 findings are a handful of statements, not two hundred 200-row INSERTs (a procedure
# cannot PUT a file to a stage, which write_pandas needs).
INSERT_BYTES = 4 << 20


def _cast(values: list) -> str:
    """The SQL type a column of ``values`` is read back as from JSON."""
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "BOOLEAN"
    if kinds and kinds <= {int}:
        return "NUMBER"
    if kinds and kinds <= {int, float}:
        return "FLOAT"
    return "VARCHAR"


def _json_arrays(rows: list[tuple], limit: int) -> list[str]:
    """``rows`` as JSON arrays of arrays, each at most about ``limit`` bytes (a row is never split)."""
    chunks, part, size = [], [], 0
    for row in rows:
        encoded = json.dumps(row, ensure_ascii=False)
        length = len(encoded.encode()) + 1  # its UTF-8 bytes and a comma
        if part and size + length > limit:
            chunks.append("[" + ",".join(part) + "]")
            part, size = [], 0
        part.append(encoded)
        size += length
    if part:
        chunks.append("[" + ",".join(part) + "]")
    return chunks


def insert_rows(session, table: Name, columns: list[str], rows: list[tuple], limit: int = INSERT_BYTES) -> int:
    """Insert ``rows`` (values: text, numbers, booleans or None) into ``columns`` of ``table``: each statement
    binds one JSON array of about ``limit`` bytes and selects its rows with FLATTEN. Returns the statements run."""
    if not rows:
        return 0
    casts = [_cast([row[i] for row in rows]) for i in range(len(columns))]
    # a JSON null is read as SQL NULL (IS_NULL_VALUE), never as the text 'null'
    values = ", ".join(
        f"IFF(IS_NULL_VALUE(F.VALUE[{i}]), NULL, F.VALUE[{i}]::{cast})" for i, cast in enumerate(casts)
    )
    sql = (f"INSERT INTO {table.sql} ({', '.join(columns)}) SELECT {values} "
           "FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS F")
    chunks = _json_arrays(rows, limit)
    for chunk in chunks:
        session.sql(sql, params=[chunk]).collect()
    return len(chunks)
