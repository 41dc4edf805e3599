"""``CALL PREP_LABEL(source, instruction, labels, model, options)``: label rows with a large model, constrained to a
label set, into a table that PREP_PREPARE takes as its source (the quickstart's first step).

One ``CREATE TABLE ... AS SELECT`` runs AI_COMPLETE over every row of the source in the warehouse
(:mod:`prep.procs.complete`); the prompt is the instruction, the label set and the row's text. The answers are
then normalised to the set exactly as LB004 compares labels (:func:`prep.measures.labels.variant_key`: case,
whitespace and punctuation), over the distinct answers only, which are few. Every source row stays in the output:

- ``PROMPT``: the row's text; ``COMPLETION``: the label, or NULL when the answer is not in the set;
- ``RAW_ANSWER``: the model's answer as given; ``IN_LABEL_SET``: whether it was normalised to a label;
- ``PROMPT_TOKENS``, ``COMPLETION_TOKENS``: what the call used; ``ROW_INDEX``; and every column of the source.

A row without a label is kept and marked, never dropped: PREP_PREPARE then excludes it for its NULL completion
(SC002) and says so. Options: ``text_col`` (default ``PROMPT``), ``output`` (default ``PREP_LABELLED``), ``replace``
(default false: an existing output table is an error), ``temperature``, ``max_tokens``, ``registry_schema``. The
run is recorded in PREP_RUNS (``KIND = 'label'``).
"""

from __future__ import annotations

import json

from prep.procs import complete
from prep.procs.common import new_run_id, procedure_options, quote_identifier, unquote
from prep.procs.sql import (
    RUNS,
    Name,
    ProcError,
    check_source,
    dumps,
    insert_rows,
    record_table,
    subquery,
)
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

from prep.measures.labels import variant_key
from prep.quoting import quote_values

OWN_COLUMNS = ("ROW_INDEX", "PROMPT", "COMPLETION", "RAW_ANSWER", "IN_LABEL_SET", "PROMPT_TOKENS", "COMPLETION_TOKENS")
MAX_LABELS = 1000


def check_labels(labels) -> list[str]:
    """The label set: a non-empty array of distinct, non-empty strings, no two the same after normalisation."""
    if isinstance(labels, str):
        try:
            labels = json.loads(labels)
        except json.JSONDecodeError:
            raise ProcError("labels must be an array of strings, such as ['Roaming fees', 'Lost phone']") from None
    if not isinstance(labels, list) or not labels or not all(isinstance(v, str) and v.strip() for v in labels):
        raise ProcError("labels must be a non-empty array of non-empty strings")
    if len(labels) > MAX_LABELS:
        raise ProcError(f"labels holds {len(labels):,} labels, over {MAX_LABELS:,}")
    out, seen = [], {}
    for label in (v.strip() for v in labels):
        key = variant_key(label)
        if key in seen:
            raise ProcError(f"labels {seen[key]!r} and {label!r} are the same label (they differ only in case, "
                            "whitespace or punctuation)")
        seen[key] = label
        out.append(label)
    return out


def instruction_prefix(instruction: str, labels: list[str]) -> str:
    """What precedes each row's text in the prompt."""
    listed = "\n".join(f"- {label}" for label in labels)
    return (f"{instruction.strip()}\n\nAnswer with exactly one of these labels, written as shown, and nothing "
            f"else:\n{listed}\n\nText:\n")


def normalised(answers: list[str | None], labels: list[str]) -> dict[str, str]:
    """Each distinct answer that names a label after normalisation, with that label."""
    by_key = {variant_key(label): label for label in labels}
    return {a: by_key[variant_key(a)] for a in answers if a is not None and variant_key(a) in by_key}


def run(session: Session, source: str, instruction: str, labels: list, model: str, options: dict) -> dict:
    options = procedure_options(options, "PREP_LABEL")
    if not isinstance(instruction, str) or not instruction.strip():
        raise ProcError("instruction must say what to label, such as 'Classify this support ticket.'")
    labels = check_labels(labels)
    model = complete.model_name(model)
    params = complete.parameters(options, default_max_tokens=max(16, 4 * max(len(v) for v in labels)))
    query = check_source(source)
    columns = [unquote(c) for c in session.sql(f"SELECT * FROM {subquery(query)} LIMIT 0").columns]
    from prep.readers.records import resolve_column

    text_col = resolve_column(str(options.get("text_col", "PROMPT")), columns)
    if text_col is None:
        raise ProcError(f"source has no column {options.get('text_col', 'PROMPT')!r} (text_col); its columns: "
                        f"{', '.join(columns)}")
    clash = sorted({c.upper() for c in columns} & set(OWN_COLUMNS) - {text_col.upper()})
    if clash:
        raise ProcError(f"source columns {', '.join(clash)} would clash with the output's own columns: select the "
                        "source's columns without them")
    output = Name.parse(str(options.get("output", "PREP_LABELLED")), "output").qualified(session)
    create = "CREATE OR REPLACE TABLE" if options.get("replace") is True else "CREATE TABLE"
    text = f"SRC.{quote_identifier(text_col)}"
    others = ", ".join(f"SRC.{quote_identifier(c)}" for c in columns if c != text_col)
    call = complete.complete_sql(model, f"? || COALESCE(TO_VARCHAR({text}), '')", params)
    row_order = f"SHA2(COALESCE(TO_VARCHAR({text}), CHR(30)), 256)"
    try:
        session.sql(
            f"{create} {output.sql} AS SELECT ROW_NUMBER() OVER (ORDER BY {row_order}) - 1 AS ROW_INDEX, "
            f"TO_VARCHAR({text}) AS PROMPT, CAST(NULL AS VARCHAR) AS COMPLETION, R{complete.ANSWER} AS RAW_ANSWER, "
            f"CAST(NULL AS BOOLEAN) AS IN_LABEL_SET, R{complete.PROMPT_TOKENS} AS PROMPT_TOKENS, "
            f"R{complete.COMPLETION_TOKENS} AS COMPLETION_TOKENS{', ' + others if others else ''} "
            f"FROM (SELECT SRC.*, {call} AS R FROM {subquery(query)}) AS SRC",
            params=[instruction_prefix(instruction, labels)],
        ).collect()
    except Exception as exc:  # the server's own message, one line: the table exists, no privilege, ...
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "already exists" in first.lower():
            raise ProcError(f"output table {output.sql} already exists: pass replace = true, or another output") \
                from None
        raise
    answers = [r[0] for r in session.sql(f"SELECT DISTINCT RAW_ANSWER FROM {output.sql}").collect()]
    mapping = normalised(answers, labels)
    if mapping:
        session.sql(
            f"UPDATE {output.sql} SET COMPLETION = M.LABEL, IN_LABEL_SET = TRUE FROM (SELECT F.VALUE[0]::VARCHAR AS "
            "RAW, F.VALUE[1]::VARCHAR AS LABEL FROM TABLE(FLATTEN(INPUT => PARSE_JSON(?))) AS F) AS M "
            f"WHERE {output.sql}.RAW_ANSWER = M.RAW",
            params=[json.dumps(sorted(mapping.items()), ensure_ascii=False)],
        ).collect()
    session.sql(f"UPDATE {output.sql} SET IN_LABEL_SET = FALSE WHERE IN_LABEL_SET IS NULL").collect()
    counts = session.sql(
        f"SELECT COMPLETION, COUNT(*), SUM(COALESCE(PROMPT_TOKENS, 0) + COALESCE(COMPLETION_TOKENS, 0)) "
        f"FROM {output.sql} GROUP BY COMPLETION"
    ).collect()
    by_label = {label: int(n) for label, n, _ in counts if label is not None}
    unlabelled = sum(int(n) for label, n, _ in counts if label is None)
    run_id = new_run_id()
    summary = {
        "run_id": run_id, "kind": "label", "source": source, "output": list(output.parts), "model": model,
        "rows": sum(by_label.values()) + unlabelled, "labelled": sum(by_label.values()), "not_in_label_set": unlabelled,
        "by_label": {shown: by_label.get(label, 0) for shown, label in zip(quote_values(labels), labels)},
        "tokens": sum(int(t or 0) for _, _, t in counts), "parameters": params,
        "next": f"CALL PREP_PREPARE('{output.sql}', '<dataset>', '<base model>', {{}}): rows not in the label set "
                "are excluded there for their NULL completion",
    }
    insert_rows(session, record_table(session, options, RUNS),
                ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
                [(run_id, "label", source, output.sql, model, dumps(options), dumps(summary))])
    return summary
