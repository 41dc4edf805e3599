"""``CALL PREP_EVALUATE(dataset, models, options)``: the tuned model against the base (and any other) on held-out data.

The rows are the dataset's validation view of its latest prepare run (or ``options.view``, any table or view with
``PROMPT`` and ``COMPLETION``), numbered by content hash so that each answer is tied to its row. For each model,
one ``INSERT ... SELECT`` runs AI_COMPLETE over the whole view in the warehouse (:mod:`prep.procs.complete`) and
stores every answer with its tokens in PREP_PREDICTIONS; with ``options.judge`` (``{"model": ..., "rubric": ...}``)
one more statement per model asks the judge for a 1-5 score of each answer against the reference, stored beside
it. The answers are then read back once and scored by :func:`prep.evaluate.score`, the module ``prep evaluate``
uses (label metrics on label-like data, exact match, ROUGE-L, BLEU and chrF always, tokens, credits and credits per
correct answer); one row per model goes to PREP_EVALS, and the comparison is returned.

``models`` is an array of: a model name (a base model such as ``'llama3.1-8b'``, or any model AI_COMPLETE takes),
``{"job_id": "..."}`` (the fine-tuned model of a job in PREP_JOBS, which must have succeeded) or ``{"use_case":
"..."}`` (the model PREP_PROMOTE made current). Options: ``view``, ``judge``, ``temperature`` (default 0),
``max_tokens``, ``credits_per_million`` (``{model: rate}``; default: the catalog's rate of the model, or of a tuned
model's base model: estimates, as the catalog says), ``registry_schema``.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from prep.procs import complete
from prep.procs.common import new_run_id, procedure_options, read_frame
from prep.procs.finetune import latest_prepare
from prep.procs.sql import (
    EVALS,
    JOBS,
    MODELS,
    PREDICTIONS,
    RUNS,
    Name,
    ProcError,
    dumps,
    insert_rows,
    record_table,
)
from snowflake.snowpark import (
    Session,  # the handlers' first argument (Snowpark reads the hint)
)

from prep.catalog import load_catalog

ROW_HASH = "SHA2(COALESCE(TO_VARCHAR(V.PROMPT), CHR(30)) || CHR(31) || COALESCE(TO_VARCHAR(V.COMPLETION), CHR(30)), 256)"
JUDGE_RUBRIC = ("You grade an answer against a reference answer. Score 5 when it says the same as the reference, "
                "1 when it is wrong or unrelated, and 2 to 4 in between. Reply with the score, one digit from 1 to 5.")


def indexed(view: Name) -> str:
    """SQL: every row of ``view`` with ``ROW_INDEX`` (its rank by content, so the same rows get the same numbers
    in every statement) and ``ROW_HASH``."""
    return (f"SELECT ROW_NUMBER() OVER (ORDER BY {ROW_HASH}, V.PROMPT, V.COMPLETION) - 1 AS ROW_INDEX, "
            f"{ROW_HASH} AS ROW_HASH, TO_VARCHAR(V.PROMPT) AS PROMPT, TO_VARCHAR(V.COMPLETION) AS COMPLETION "
            f"FROM {view.sql} AS V")


def evaluation_view(session, options: dict, dataset: Name) -> tuple[Name, dict | None]:
    """The rows to evaluate on: ``options.view``, or the validation view of the dataset's latest prepare run."""
    if options.get("view"):
        return Name.parse(str(options["view"]), "view").qualified(session), None
    found = latest_prepare(session, options, dataset)
    if found is None:
        raise ProcError(f"dataset {dataset.sql} has no prepare run: CALL PREP_PREPARE first, or pass options.view")
    run_info, _ = found
    if int(run_info.get("validation") or 0) == 0:
        raise ProcError(f"the latest prepare run of {dataset.sql} has no validation rows: prepare it with a "
                        "validation_fraction, or pass options.view")
    return Name(tuple(run_info["views"]["validation"])), run_info


def resolve_models(session, options: dict, models: Any, catalog) -> list[dict[str, Any]]:
    """Each entry of ``models`` as {name, role, job_id, base_model}."""
    if isinstance(models, str):
        models = [models]
    if not isinstance(models, list) or not models:
        raise ProcError("models must be a non-empty array of model names, {\"job_id\": ...} or {\"use_case\": ...}")
    jobs = record_table(session, options, JOBS)
    out = []
    for entry in models:
        if isinstance(entry, dict) and set(entry) == {"job_id"}:
            found = session.sql(f"SELECT FINAL_MODEL, STATUS, BASE_MODEL FROM {jobs.sql} WHERE JOB_ID = ?",
                                params=[str(entry["job_id"])]).collect()
            if not found:
                raise ProcError(f"job {entry['job_id']!r} is not in {jobs.sql}")
            final, status, base = found[0]
            if status != "SUCCESS" or not final:
                raise ProcError(f"job {entry['job_id']!r} is {status}, not SUCCESS with a model: CALL "
                                "PREP_JOB_STATUS to update it, or wait for it to finish")
            out.append({"name": final, "role": "tuned", "job_id": str(entry["job_id"]), "base_model": base})
        elif isinstance(entry, dict) and set(entry) == {"use_case"}:
            use_case = use_case_key(session, entry["use_case"])
            current = current_model(session, options, use_case)
            if current is None:
                raise ProcError(f"use case {use_case} has no promoted model: CALL PREP_PROMOTE first")
            out.append({"name": current["model"], "role": "current", "job_id": current["job_id"],
                        "base_model": _job_base(session, jobs, current["job_id"])})
        elif isinstance(entry, str):
            name = complete.model_name(entry)
            out.append({"name": name, "role": "base" if name in catalog else "comparison", "job_id": None,
                        "base_model": name if name in catalog else None})
        else:
            raise ProcError(f"models entry {entry!r} is neither a model name, {{\"job_id\": ...}} nor "
                            "{\"use_case\": ...}")
    names = [m["name"] for m in out]
    if len(set(names)) != len(names):
        raise ProcError(f"models names the same model twice: {', '.join(names)}")
    return out


def _job_base(session, jobs: Name, job_id: str | None) -> str | None:
    if not job_id:
        return None
    found = session.sql(f"SELECT BASE_MODEL FROM {jobs.sql} WHERE JOB_ID = ?", params=[job_id]).collect()
    return found[0][0] if found else None


def use_case_key(session, use_case: Any) -> str:
    """A use case as the registry keys it: its qualified name, dotted (``PREP_DB.PREP.SUPPORT``)."""
    name = Name.parse(use_case if isinstance(use_case, str) else "", "use_case").qualified(session)
    return ".".join(name.parts)


def current_model(session, options: dict, use_case: str) -> dict[str, Any] | None:
    """The latest promotion or rollback of ``use_case`` in PREP_MODELS, or None."""
    table = record_table(session, options, MODELS)
    found = session.sql(
        f"SELECT MODEL, VERSION, JOB_ID, SEQ, PREVIOUS_MODEL FROM {table.sql} WHERE USE_CASE = ? ORDER BY SEQ DESC "
        "LIMIT 1", params=[use_case],
    ).collect()
    if not found:
        return None
    model, version, job_id, seq, previous = found[0]
    return {"model": model, "version": version, "job_id": job_id, "seq": int(seq), "previous": previous}


def _predict(session, predictions: Name, rows_sql: str, run_id: str, model: str, params: dict) -> None:
    call = complete.complete_sql(model, "V.PROMPT", params)
    session.sql(
        f"INSERT INTO {predictions.sql} (RUN_ID, KIND, MODEL, ROW_INDEX, ROW_HASH, PREDICTION, PROMPT_TOKENS, "
        f"COMPLETION_TOKENS) SELECT ?, 'evaluate', ?, X.ROW_INDEX, X.ROW_HASH, X.R{complete.ANSWER}, "
        f"X.R{complete.PROMPT_TOKENS}, X.R{complete.COMPLETION_TOKENS} "
        f"FROM (SELECT V.ROW_INDEX, V.ROW_HASH, {call} AS R FROM ({rows_sql}) AS V) AS X",
        params=[run_id, model],
    ).collect()


def _judge(session, predictions: Name, rows_sql: str, run_id: str, model: str, judge: dict) -> None:
    """One statement: the judge's 1-5 score of every answer of ``model``, beside the answer."""
    rubric = judge.get("rubric") or JUDGE_RUBRIC
    call = complete.complete_sql(
        judge["model"], "? || V.PROMPT || ? || V.COMPLETION || ? || COALESCE(Q.PREDICTION, '')",
        {"temperature": 0, "max_tokens": 8},
    )
    session.sql(
        f"UPDATE {predictions.sql} SET JUDGE_SCORE = J.SCORE, JUDGE_TOKENS = J.TOKENS FROM ("
        f"SELECT X.ROW_INDEX, TRY_TO_NUMBER(REGEXP_SUBSTR(X.R{complete.ANSWER}, '[1-5]')) AS SCORE, "
        f"X.R{complete.PROMPT_TOKENS} + X.R{complete.COMPLETION_TOKENS} AS TOKENS FROM ("
        f"SELECT V.ROW_INDEX, {call} AS R FROM ({rows_sql}) AS V JOIN {predictions.sql} AS Q "
        "ON Q.RUN_ID = ? AND Q.MODEL = ? AND Q.ROW_INDEX = V.ROW_INDEX) AS X) AS J "
        f"WHERE {predictions.sql}.RUN_ID = ? AND {predictions.sql}.MODEL = ? AND {predictions.sql}.ROW_INDEX = J.ROW_INDEX",
        params=[f"{rubric}\n\nQuestion:\n", "\n\nReference answer:\n", "\n\nAnswer to grade:\n",
                run_id, model, run_id, model],
    ).collect()


def _labels(session, run_info: dict | None) -> tuple[bool | None, list[str] | None]:
    """Whether the data is label-like, and its labels, as the prepare run decided on the training data (a small
    validation set alone can look unlike labels); None for a given view, which is judged on its own rows."""
    if run_info is None:
        return None, None
    if not (run_info.get("labels") or {}).get("label_like"):
        return False, None
    train = Name(tuple(run_info["views"]["train"]))
    found = session.sql(f"SELECT DISTINCT TRIM(COMPLETION) FROM {train.sql} WHERE COMPLETION IS NOT NULL").collect()
    return True, sorted({r[0] for r in found if r[0]})


def _check_judge(judge: Any) -> dict | None:
    if judge is None:
        return None
    if not isinstance(judge, dict) or "model" not in judge or set(judge) - {"model", "rubric"}:
        raise ProcError("judge must be {\"model\": \"<model>\", \"rubric\": \"<optional grading instructions>\"}")
    complete.model_name(judge["model"], "judge.model")
    if "rubric" in judge and not (isinstance(judge["rubric"], str) and judge["rubric"].strip()):
        raise ProcError("judge.rubric must be text")
    return judge


def _rates(options: dict, models: list[dict], catalog) -> dict[str, float]:
    given = options.get("credits_per_million") or {}
    if not isinstance(given, dict) or not all(isinstance(v, (int, float)) and v >= 0 for v in given.values()):
        raise ProcError("credits_per_million must be an object of model name to credits per million tokens")
    rates = {}
    for m in models:
        if m["name"] in given:
            rates[m["name"]] = float(given[m["name"]])
        elif m["base_model"] in catalog and catalog[m["base_model"]].credits_per_million_tokens:  # 0: unknown
            rates[m["name"]] = float(catalog[m["base_model"]].credits_per_million_tokens)
    return rates


def run(session: Session, dataset: str, models: list, options: dict) -> dict:
    from prep.evaluate import score

    options = procedure_options(options, "PREP_EVALUATE")
    dataset_name = Name.parse(dataset, "dataset").qualified(session)
    catalog = load_catalog(None)
    params = complete.parameters(options, default_max_tokens=512)
    judge = _check_judge(options.get("judge"))
    resolved = resolve_models(session, options, models, catalog)
    view, run_info = evaluation_view(session, options, dataset_name)
    rows_sql = indexed(view)
    predictions = record_table(session, options, PREDICTIONS)
    run_id = new_run_id()
    for m in resolved:  # one set-based statement per model
        _predict(session, predictions, rows_sql, run_id, m["name"], params)
        if judge:
            _judge(session, predictions, rows_sql, run_id, m["name"], judge)

    frame = read_frame(
        session,
        f"SELECT V.ROW_INDEX, V.COMPLETION, P.MODEL, P.PREDICTION, COALESCE(P.PROMPT_TOKENS, 0) + "
        f"COALESCE(P.COMPLETION_TOKENS, 0) AS TOKENS, P.JUDGE_SCORE FROM ({rows_sql}) AS V LEFT JOIN "
        f"{predictions.sql} AS P ON P.RUN_ID = ? AND P.ROW_INDEX = V.ROW_INDEX ORDER BY V.ROW_INDEX",
        params=[run_id],
    )
    references = frame.filter(pl.col("MODEL") == resolved[0]["name"]).sort("ROW_INDEX")
    if references.height == 0:
        raise ProcError(f"{view.sql} has no rows to evaluate on")
    by_model, tokens, judged = {}, {}, {}
    for m in resolved:
        part = frame.filter(pl.col("MODEL") == m["name"]).sort("ROW_INDEX")
        if part["ROW_INDEX"].to_list() != references["ROW_INDEX"].to_list():
            raise ProcError(f"the answers of {m['name']} do not cover the rows of {view.sql}: did it change during "
                            "the evaluation?")
        by_model[m["name"]] = part["PREDICTION"].to_list()
        tokens[m["name"]] = int(part["TOKENS"].sum())
        scores = part["JUDGE_SCORE"].drop_nulls()
        judged[m["name"]] = {"judge_mean": float(scores.mean()) if len(scores) else None, "judge_scored": len(scores)}
    rates = _rates(options, resolved, catalog)
    label_like, labels = _labels(session, run_info)
    result = score(references["COMPLETION"].to_list(), by_model, label_like=label_like, labels=labels,
                   tokens=tokens, credits_per_million=rates)
    for m in resolved:
        metrics = result["models"][m["name"]]
        metrics.update({"role": m["role"], "job_id": m["job_id"], "base_model": m["base_model"]})
        if judge:
            metrics.update(judged[m["name"]])
    insert_rows(
        session, record_table(session, options, EVALS),
        ["EVAL_ID", "DATASET", "VIEW_NAME", "MODEL", "ROLE", "JOB_ID", "ROWS_EVALUATED", "METRICS", "TOKENS", "CREDITS"],
        [(run_id, dataset_name.sql, view.sql, m["name"], m["role"], m["job_id"], result["rows"],
          dumps(result["models"][m["name"]]), tokens[m["name"]], result["models"][m["name"]].get("credits"))
         for m in resolved],
    )
    summary = {"eval_id": run_id, "kind": "evaluate", "dataset": dataset_name.sql, "view": list(view.parts),
               **result, "judge": judge, "parameters": params, "rates": rates}
    insert_rows(session, record_table(session, options, RUNS),
                ["RUN_ID", "KIND", "SOURCE", "DATASET", "BASE_MODEL", "OPTIONS", "SUMMARY"],
                [(run_id, "evaluate", view.sql, dataset_name.sql, None, dumps(options), dumps(summary))])
    return summary
