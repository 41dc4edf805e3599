"""Evaluation metrics: how well one or more models' answers match the reference completions.

The one metrics module: ``prep evaluate`` and the Snowflake stored procedure both call :func:`score`, so a figure
means the same wherever it is computed. Text metrics come from maintained reference implementations
(``rouge-score``, ``sacrebleu``), label metrics are computed here with polars and numpy and are checked against
scikit-learn by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from prep.config import LabelSettings, Settings
from prep.errors import InputError
from prep.measures.labels import stats, variant_key
from prep.quoting import counted, quote

SCHEMA_VERSION = 1
OTHER = "(other)"  # the confusion matrix's column for predictions outside the label set


def score(references: Sequence[str | None], predictions: Mapping[str, Sequence[str | None]], *,
          label_like: bool | None = None, labels: Sequence[str] | None = None,
          tokens: Mapping[str, int] | None = None, credits_per_million: Mapping[str, float] | None = None) -> dict:
    """Metrics of each prediction column against ``references``, as a JSON-ready dict (schema_version 1)::

        {"schema_version": 1, "rows": N, "rows_without_reference": M, "label_like": bool, "label_reason": str,
         "models": {COLUMN: {...}}}

    **Rows.** ``references`` and every prediction column are aligned lists of the same length. A row whose
    reference is None or only whitespace has nothing to be scored against: it is left out of every metric and
    counted in ``rows_without_reference`` (``rows`` + ``rows_without_reference`` = the input's length; no row is
    dropped silently). A None prediction is an empty answer: wrong, and not answered. Texts are compared with
    surrounding whitespace stripped.

    **Text metrics** (every model):

    - ``exact_match``: share of rows whose prediction equals the reference (both stripped).
    - ``rouge_l``: mean over rows of the ROUGE-L F-measure of ``rouge_score.rouge_scorer.RougeScorer(["rougeL"],
      use_stemmer=False)`` (its default tokenizer: lowercase, runs of ``[a-z0-9]``; so text in other scripts has
      no tokens and scores 0; an empty answer scores 0).
    - ``bleu`` and ``chrf``: corpus-level ``sacrebleu.corpus_bleu`` / ``sacrebleu.corpus_chrf`` with sacrebleu's
      default settings (BLEU: 13a tokenisation, exponential smoothing; chrF: character 6-grams, beta 2), one
      reference per row, on sacrebleu's 0-100 scale. They measure text similarity: on class labels, read
      accuracy and macro-F1.
    - ``answered``: rows with a non-empty prediction.

    On zero scored rows the metrics are None.

    **Label metrics** (only when label-like: ``label_like`` True, or None and detected as ``prep lint``'s label
    rules detect it, with the default :class:`~prep.config.LabelSettings`; ``label_reason`` says why):

    - The label set is ``labels`` when given, else the distinct (stripped) references, sorted; a reference that
      is not in a given ``labels`` joins the set (it is a class all the same). A prediction counts as a label when
      it equals it, or else when its :func:`prep.measures.labels.variant_key` (case, whitespace, punctuation;
      the normalisation of the label-variant rule) equals the label's; when several labels share that key, the
      first in label-set order wins. References are mapped the same way onto a given ``labels``.
    - ``accuracy``: share of rows whose (normalised) prediction is the reference label. A prediction outside the
      label set (including an empty one) is wrong.
    - ``per_label``: for every label of the set, ``precision``, ``recall``, ``f1`` (0 where undefined) and
      ``support`` (rows with that reference).
    - ``macro_f1``: the unweighted mean of ``f1`` over the *reference labels* (labels with support > 0). It equals
      scikit-learn's ``f1_score(y_true, y_pred, average="macro", labels=<distinct reference labels>,
      zero_division=0)``: predictions outside the set are not a class of their own, they only lower the recall
      of the true label. A label predicted but never a reference is not in the mean either.
    - ``confusion``: ``{"labels": [...], "matrix": [[...]]}``, rows the reference label in label-set order,
      columns the predicted label in the same order plus one last column ``"(other)"`` for predictions outside
      the set.
    - ``invalid_share``: share of rows whose prediction is not in the label set after normalisation (empty
      answers included).

    **Cost** (when ``tokens`` names the column): ``tokens``; with ``credits_per_million`` for it, ``credits``
    (tokens / 10^6 x rate) and ``credits_per_correct`` (credits / correct answers, None when none is correct),
    where correct means the normalised label matches on label-like data, else an exact match.
    """
    n = len(references)
    for column, values in predictions.items():
        if len(values) != n:
            raise ValueError(f"prediction column {column!r} has {len(values):,} rows, the references {n:,}")
    refs = _texts("references", references)
    scored = refs.str.len_bytes() > 0
    ref = refs.filter(scored)
    rows = ref.len()
    if label_like is None:
        found = stats(pl.DataFrame({"row": pl.int_range(rows, eager=True), "completion": ref}), LabelSettings())
        label_like, reason = found.label_like, found.reason
    else:
        label_like, reason = bool(label_like), f"given by the caller (label_like={bool(label_like)})"
    label_set = _label_set(ref, labels) if label_like else []
    out: dict = {"schema_version": SCHEMA_VERSION, "rows": rows, "rows_without_reference": n - rows,
                 "label_like": label_like, "label_reason": reason, "models": {}}
    metrics = _TextMetrics(ref) if rows and predictions else None
    for column, values in predictions.items():
        pred = _texts(f"prediction column {column!r}", values).filter(scored).fill_null("")
        model = metrics.of(pred) if metrics else {"exact_match": None, "rouge_l": None, "bleu": None, "chrf": None,
                                                  "answered": 0}
        correct = int((pred == ref).sum())
        if label_like:
            model.update(_label_metrics(ref, pred, label_set))
            correct = model.pop("_correct")
        if tokens is not None and column in tokens:
            model["tokens"] = int(tokens[column])
            rate = (credits_per_million or {}).get(column)
            if rate is not None:
                model["credits"] = model["tokens"] / 1e6 * float(rate)
                model["credits_per_correct"] = model["credits"] / correct if correct else None
        out["models"][column] = model
    return out


def _texts(what: str, values: Sequence[str | None]) -> pl.Series:
    """``values`` as a stripped string series (None stays null)."""
    try:
        series = pl.Series(what, list(values), dtype=pl.String, strict=True)
    except (TypeError, pl.exceptions.PolarsError):
        bad = next((v for v in values if v is not None and not isinstance(v, str)), None)
        raise TypeError(f"{what}: expected strings or None, got {type(bad).__name__}") from None
    return series.str.strip_chars()


def _import_rouge():
    """rouge-score's scorer module, or None where it is not installed (inside Snowflake: it has no wheel on PyPI,
    so it is not among the procedures' packages)."""
    try:
        from rouge_score import rouge_scorer
    except ImportError:
        return None
    return rouge_scorer


class _TextMetrics:
    """The text metrics against one list of references (sacrebleu caches the references' statistics once)."""

    def __init__(self, ref: pl.Series) -> None:
        import sacrebleu

        rouge_scorer = _import_rouge()
        self.ref = ref
        refs = [ref.to_list()]
        self.bleu, self.chrf = sacrebleu.BLEU(references=refs), sacrebleu.CHRF(references=refs)
        self.rouge = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False) if rouge_scorer else None

    def of(self, pred: pl.Series) -> dict:
        ref, rows = self.ref, self.ref.len()
        # rouge-score scores one pair at a time (a Python LCS): a loop is unavoidable, so each distinct
        # (reference, prediction) pair is scored once and weighted by its rows (label data repeats pairs a lot).
        total = None
        if self.rouge is not None:
            pairs = pl.DataFrame({"r": ref, "p": pred}).group_by("r", "p").len()
            total = sum(self.rouge.score(r, p)["rougeL"].fmeasure * k for r, p, k in pairs.iter_rows())
        hyps = pred.to_list()
        return {
            "exact_match": float((pred == ref).mean()),
            "rouge_l": None if total is None else total / rows,  # None: rouge-score is not installed
            "bleu": float(self.bleu.corpus_score(hyps, None).score),
            "chrf": float(self.chrf.corpus_score(hyps, None).score),
            "answered": int((pred.str.len_bytes() > 0).sum()),
        }


def _label_set(ref: pl.Series, labels: Sequence[str] | None) -> list[str]:
    if labels is None:
        return sorted(ref.unique().to_list())
    given = list(dict.fromkeys(label.strip() for label in labels if label.strip()))
    lookup = _lookup(given)
    missing = [r for r in sorted(ref.unique().to_list()) if _find(r, given, lookup) is None]
    return given + missing


def _lookup(label_set: list[str]) -> dict[str, int]:
    """variant_key -> index of the first label with that key."""
    out: dict[str, int] = {}
    for i, label in enumerate(label_set):
        out.setdefault(variant_key(label), i)
    return out


def _find(value: str, label_set: list[str], lookup: dict[str, int], exact: dict[str, int] | None = None) -> int | None:
    exact = exact if exact is not None else {label: i for i, label in enumerate(label_set)}
    if value in exact:
        return exact[value]
    return lookup.get(variant_key(value)) if value else None


def _indices(values: pl.Series, label_set: list[str]) -> pl.Series:
    """The label-set index of each value (len(label_set) for none): Python per distinct value, polars per row."""
    lookup, exact = _lookup(label_set), {label: i for i, label in enumerate(label_set)}
    distinct = values.unique().to_list()
    found = [_find(v, label_set, lookup, exact) for v in distinct]
    mapping = {v: len(label_set) if i is None else i for v, i in zip(distinct, found)}
    return values.replace_strict(mapping, return_dtype=pl.Int64)


def _label_metrics(ref: pl.Series, pred: pl.Series, label_set: list[str]) -> dict:
    k, rows = len(label_set), ref.len()
    truth, guess = _indices(ref, label_set), _indices(pred, label_set)
    cells = pl.DataFrame({"t": truth, "p": guess}).group_by("t", "p").len()
    matrix = np.zeros((k, k + 1), dtype=np.int64)
    if cells.height:
        matrix[cells["t"].cast(pl.Int64).to_numpy(), cells["p"].cast(pl.Int64).to_numpy()] = cells["len"].to_numpy()
    tp = np.diag(matrix[:, :k]) if k else np.zeros(0, dtype=np.int64)
    support, predicted = matrix.sum(axis=1), matrix[:, :k].sum(axis=0)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros(len(a)), where=b > 0)

    precision, recall, f1 = ratio(tp, predicted), ratio(tp, support), ratio(2 * tp, support + predicted)
    present = support > 0
    correct = int(tp.sum())
    return {
        "accuracy": correct / rows if rows else None,
        "macro_f1": float(f1[present].mean()) if present.any() else None,
        "invalid_share": float(matrix[:, k].sum() / rows) if rows else None,
        "per_label": {
            label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                    "support": int(support[i])}
            for i, label in enumerate(label_set)
        },
        "confusion": {"labels": label_set, "matrix": matrix.tolist()},
        "_correct": correct,
    }


@dataclass
class Evaluation:
    """``prep evaluate``'s run: the :func:`score` dict, the file's display name, and warnings about the input."""

    result: dict
    name: str
    reference_col: str
    warnings: list[str] = field(default_factory=list)


def evaluate_file(path: str | Path, prediction_cols: Sequence[str], *, reference_col: str | None = None,
                  settings: Settings | None = None) -> Evaluation:
    """:func:`score` of a data file's prediction columns against its reference column (default: the settings'
    ``completion-col``), read by ``prep lint``'s readers (:func:`prep.readers.read_columns`). Label detection uses
    the settings' ``[labels]``, as the label rules do. Raises :class:`~prep.errors.InputError` (one line) for a
    file that cannot be read, a missing column, a file without records or without any reference."""
    from prep.api import read_limits
    from prep.readers import read_columns

    settings = settings or Settings()
    reference_col = reference_col or settings.completion_col
    read = read_columns(path, [reference_col, *prediction_cols], limits=read_limits(settings))
    name = read.source.name
    refs = read.values[reference_col]
    scored = refs.filter(refs.str.strip_chars().str.len_bytes() > 0)
    if scored.is_empty():
        raise InputError(f"{name}: no record has a reference (text in column '{quote(reference_col)}')")
    found = stats(pl.DataFrame({"row": pl.int_range(scored.len(), eager=True), "completion": scored}),
                  settings.label_settings())
    result = score(refs.to_list(), {c: read.values[c].to_list() for c in prediction_cols}, label_like=found.label_like)
    result["label_reason"] = found.reason
    warnings = []
    unreadable = read.source.frame["problem_kind"].is_not_null().sum()
    if unreadable:
        warnings.append(f"unreadable, so without a reference: {counted(unreadable, 'record')} (prep lint says why)")
    for column in dict.fromkeys([reference_col, *prediction_cols]):
        if read.not_text[column]:
            what = "rows without a reference" if column == reference_col else "empty answers"
            warnings.append(f"column '{quote(column)}': {counted(read.not_text[column], 'value')} not text, "
                            f"scored as {what}")
    return Evaluation(result, name, reference_col, warnings)
