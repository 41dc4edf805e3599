"""``prep evaluate``'s text and HTML output, from :func:`prep.evaluate.score`'s dict (its JSON output is that dict).

Labels and column names come from the data: they are quoted (:func:`prep.quoting.quote_values`) before they are
shown.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from prep.evaluate import OTHER, Evaluation
from prep.quoting import counted, quote_values
from prep.reporters.html_charts import _e, hbars

WORST = 10  # labels listed per model, lowest F1 first
CONFUSIONS = 20  # the HTML page's most frequent confusions per model
_NOTE = ("Exact match, accuracy and invalid are shares of the rows scored; exact match compares the stripped texts, "
         "accuracy counts a case, space or punctuation variant of the label as right. ROUGE-L is the mean F-measure "
         "(rouge-score); BLEU and chrF are corpus-level, 0-100 (sacrebleu).")
_HEADER = ["model", "rows", "answered", "exact match", "accuracy", "macro-F1", "invalid", "ROUGE-L", "BLEU", "chrF"]


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _summary_rows(result: dict) -> list[list[str]]:
    names = quote_values(list(result["models"]))
    return [
        [name, f"{result['rows']:,}", f"{m['answered']:,}", _share(m["exact_match"]), _share(m.get("accuracy")),
         _ratio(m.get("macro_f1")), _share(m.get("invalid_share")), _ratio(m["rouge_l"]), _points(m["bleu"]),
         _points(m["chrf"])]
        for name, m in zip(names, result["models"].values())
    ]


def worst_labels(model: dict, n: int = WORST) -> list[tuple[str, dict]]:
    """The ``n`` reference labels (support > 0) with the lowest F1; ties: more rows first, then by label."""
    present = [(label, m) for label, m in model.get("per_label", {}).items() if m["support"]]
    return sorted(present, key=lambda item: (item[1]["f1"], -item[1]["support"], item[0]))[:n]


def _columns(rows: Sequence[Sequence[str]], numeric_from: int = 1) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.rjust(w) if i >= numeric_from else cell.ljust(w)
                             for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in rows]


def _about(evaluation: Evaluation) -> str:
    result = evaluation.result
    kind = "label-like" if result["label_like"] else "not label-like"
    return (f"{evaluation.name}: {counted(result['rows'], 'row')} scored against "
            f"'{quote_values([evaluation.reference_col])[0]}'; {kind}: {result['label_reason']}")


def render_text(evaluation: Evaluation) -> str:
    result = evaluation.result
    lines = [_about(evaluation)]
    if result["rows_without_reference"]:
        lines.append(f"  not scored: {counted(result['rows_without_reference'], 'row')} without a reference")
    lines += ["", *_columns([_HEADER, *_summary_rows(result)])]
    if result["label_like"]:
        for name, model in zip(quote_values(list(result["models"])), result["models"].values()):
            worst = worst_labels(model)
            rows = [["label", "F1", "precision", "recall", "support"]] + [
                [label, _ratio(m["f1"]), _ratio(m["precision"]), _ratio(m["recall"]), f"{m['support']:,}"]
                for label, m in zip(quote_values([label for label, _ in worst]), (m for _, m in worst))
            ]
            lines += ["", f"{name}: the {len(worst)} labels with the lowest F1", *_columns(rows)]
    lines += ["", *textwrap.wrap(_NOTE, width=110)]
    return "\n".join(lines) + "\n"


def top_confusions(model: dict, n: int = CONFUSIONS) -> list[tuple[str, str, int]]:
    """The ``n`` most frequent (reference label, predicted label, rows) with a wrong prediction."""
    confusion = model["confusion"]
    labels = [*confusion["labels"], OTHER]
    cells = [(labels[i], labels[j], count) for i, row in enumerate(confusion["matrix"])
             for j, count in enumerate(row) if count and i != j]
    return sorted(cells, key=lambda c: (-c[2], c[0], c[1]))[:n]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i >= text_columns else ""}>{_e(c)}</td>'
                                    for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _model_section(index: int, name: str, model: dict) -> str:
    worst = worst_labels(model, 30)
    shown = quote_values([label for label, _ in worst])
    chart = hbars(f"worst-{index}", f"{name}: lowest F1 (x 100), 30 labels at most", shown,
                  [m["f1"] * 100 for _, m in worst], "#b3261e")
    confusions = top_confusions(model)
    quoted = quote_values([c[0] for c in confusions] + [c[1] for c in confusions])
    table = _table(["reference", "predicted", "rows"], [
        [quoted[i], quoted[len(confusions) + i], f"{c[2]:,}"] for i, c in enumerate(confusions)], text_columns=2)
    per_label = model["per_label"]
    labels = quote_values(list(per_label))
    full = _table(["label", "F1", "precision", "recall", "support"], [
        [label, _ratio(m["f1"]), _ratio(m["precision"]), _ratio(m["recall"]), f"{m['support']:,}"]
        for label, m in zip(labels, per_label.values())])
    return (f'<h2>{_e(name)}</h2><div class="grid">{chart}<section class="card"><h3>Most frequent confusions'
            f"</h3>{table}</section></div><details><summary>Every label ({len(per_label):,})</summary>"
            f'<div class="scroll">{full}</div></details>')


def render_html(evaluation: Evaluation) -> str:
    """A self-contained page (no script, no network): the summary table and, on label-like data, per model its
    lowest-F1 labels, its most frequent confusions and every label's figures."""
    from prep.reporters.html import STYLE

    result = evaluation.result
    sections = []
    if result["label_like"]:
        names = quote_values(list(result["models"]))
        sections = [_model_section(i, name, m) for i, (name, m) in enumerate(zip(names, result["models"].values()))]
    not_scored = (f"<p class=muted>not scored: {counted(result['rows_without_reference'], 'row')} without a "
                  "reference</p>") if result["rows_without_reference"] else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>prep evaluate: {_e(evaluation.name)}'
        f"</title>{STYLE}</head><body><main><h1>prep evaluate</h1><p>{_e(_about(evaluation))}</p>{not_scored}"
        f'{_table(_HEADER, _summary_rows(result))}<p class="muted">{_e(_NOTE)}</p>{"".join(sections)}</main></body>'
        "</html>\n"
    )
