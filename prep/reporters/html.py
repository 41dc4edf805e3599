"""``prep lint ... --html report.html``: one self-contained page a reviewer can act on (inline SVG, CSS and script;
nothing loaded from anywhere else, which its Content-Security-Policy enforces).

What it holds, top to bottom:

- the summary (errors, warnings, info) and the **fit table** with the text output's columns;
- the **findings table**, filterable by rule, severity and source (and free text), each finding with its row, line,
  field, message and a short excerpt of the row's text; at most :data:`MAX_FINDINGS` rows (the JSON output has all);
- **duplicate pairs** side by side (findings naming a ``kept_row``: the row and the row kept), and **validation
  and leaks** (findings naming a ``train_row``:
  the validation row and the training row it repeats);
- **token statistics** per tokenizer family and field (p50, p95, max, rows over each budget) and a histogram per
  field whose bins over a budget are red and at least a few pixels high, so one over-budget row among thousands
  shows;
- the **estimated cost** per model (:mod:`prep.estimate`, from the run's own counts), labels, findings by rule,
  near-duplicate clusters and PII counts per entity type;
- **run metadata**: prep's version, the time, the settings, every input's size, rows and SHA-256; and the **docs**
  of every rule that ran, which the findings link to.

Personal data never appears: an excerpt has PI001's detected spans replaced by their masked form, and then
anything shaped like an e-mail address, a number of 7 or more digits (phones, cards, IDs), an IP address or an
IBAN masked as well, whether PI001 ran or not. Names and addresses are only masked where PI001 detected them (the
offline pipeline has no NER).

A small inline script measures every chart once the page is laid out (size, bars drawn, overlapping or clipped
labels) and writes the result into ``#render-check`` (the browser test reads it); the page works without it.
"""

from __future__ import annotations

import inspect
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import polars as pl

from prep import __version__
from prep.engine.run import LintResult
from prep.measures.labels import label_stats
from prep.measures.tokens import token_counts
from prep.reporters.excerpts import masked_excerpt, shared_prefix
from prep.reporters.html_charts import COLORS, _e, hbars, histogram
from prep.reporters.locations import display_line, line_index

MAX_FINDINGS = 5_000  # rows of the findings table; the page stays responsive
MAX_PAIRS = 60  # duplicate and leak pairs shown side by side


# -- what the page shows -------------------------------------------------------------------------------------------


@dataclass
class ReportData:
    """What the page shows, measured before rendering: the run's result, the token count of every training row
    per tokenizer family and field, the label counts (already masked for display), the cost estimate, excerpts of
    the rows the findings and pairs point at, and the inputs' hashes."""

    result: LintResult
    tokens: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    estimates: list[Any] = field(default_factory=list)
    excerpts: dict[tuple[str, int, str], str] = field(default_factory=dict)  # (source, row, field) -> excerpt
    hashes: dict[str, str] = field(default_factory=dict)  # source name -> SHA-256 of the file
    generated: str = ""


def _pii_spans(result: LintResult) -> dict[tuple[str, int, str], list[dict]]:
    spans: dict[tuple[str, int, str], list[dict]] = {}
    for f in result.findings:
        if f.row is not None and f.field and isinstance(f.data.get("spans"), list):
            spans.setdefault((f.source, f.row, f.field), []).extend(f.data["spans"])
    return spans


def _wanted_rows(result: LintResult) -> dict[str, set[int]]:
    """Per source, the rows the page quotes: those of the findings shown and the other side of each pair."""
    wanted: dict[str, set[int]] = {}
    for f in result.findings[:MAX_FINDINGS]:
        if f.row is not None:
            wanted.setdefault(f.source, set()).add(f.row)
    pairs = 0
    for f in result.findings:
        if pairs >= MAX_PAIRS * 2:
            break
        if f.row is not None and "kept_row" in f.data:  # pairs are told by the data they carry, not by rule
            wanted.setdefault(f.source, set()).update({f.row, int(f.data["kept_row"])})
            pairs += 1
        elif f.row is not None and "train_row" in f.data:
            wanted.setdefault(f.source, set()).add(f.row)
            wanted.setdefault(str(f.data.get("train_source")), set()).add(int(f.data["train_row"]))
            pairs += 1
    return wanted


def collect(result: LintResult) -> ReportData:
    """Measure what :func:`render` draws (this tokenizes every training row, once per tokenizer family)."""
    from prep.reporters.artifacts import file_sha256

    data = ReportData(result, generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    for source in result.sources:
        if source.kind != "frame" and Path(source.name).is_file():
            try:
                data.hashes[source.name] = file_sha256(source.name)
            except OSError:
                pass
    spans = _pii_spans(result)
    by_name = {s.name: s for s in result.sources}
    for name, rows in _wanted_rows(result).items():
        source = by_name.get(name)
        if source is None or not rows:
            continue
        frame = source.frame.filter(pl.col("row").is_in(sorted(rows))).select("row", "prompt", "completion")
        skips = {f: shared_prefix(frame[f].drop_nulls().to_list()) for f in ("prompt", "completion")}
        for row, prompt, completion in frame.iter_rows():
            for field_name, text in (("prompt", prompt), ("completion", completion)):
                prefix = skips[field_name]
                skip = len(prefix) if prefix and isinstance(text, str) and text.startswith(prefix) else 0
                data.excerpts[name, row, field_name] = masked_excerpt(text, spans.get((name, row, field_name), ()),
                                                                      skip=skip)
    ctx = result.context
    if ctx is None or not ctx.train:
        return data
    for family in dict.fromkeys(m.tokenizer for m in result.models):
        for field_name in ("prompt", "completion"):
            data.tokens[family, field_name] = [
                c for source in ctx.train for c in token_counts(ctx, source, field_name, family)["tokens"].to_list()
            ]
    stats = label_stats(ctx, ctx.train[0])
    if stats.label_like and stats.counts:
        data.labels = stats.shown_counts()
    if result.models:
        from prep.estimate import estimate_source

        data.estimates = estimate_source(ctx, ctx.train[0], result.models, result.settings)
    return data


# -- charts --------------------------------------------------------------------------------------------------------


def _percentile(values: Sequence[int], q: float) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]  # nearest rank


def _families(result: LintResult) -> dict[str, list]:
    families: dict[str, list] = {}
    for model in result.models:
        families.setdefault(model.tokenizer, []).append(model)
    return families


def _token_section(data: ReportData) -> tuple[str, list[str]]:
    margin = data.result.settings.margin if data.result.settings else 0
    rows, charts = [], []
    for family, models in _families(data.result).items():
        for field_name in ("prompt", "completion"):
            counts = data.tokens.get((family, field_name), [])
            if not counts:
                continue
            budgets = sorted({m.budget(field_name) for m in models})
            over = "; ".join(
                f"{sum(1 for c in counts if c + margin > b):,} over {b:,} "
                f"({', '.join(m.name for m in models if m.budget(field_name) == b)})" for b in budgets
            )
            rows.append(f"<tr><td>{_e(family)}</td><td>{field_name}</td><td class=num>{len(counts):,}</td>"
                        f"<td class=num>{_percentile(counts, 0.5):,}</td><td class=num>{_percentile(counts, 0.95):,}</td>"
                        f"<td class=num>{max(counts):,}</td><td>{_e(over)}</td></tr>")
            marks = [(b, ", ".join(m.name for m in models if m.budget(field_name) == b)) for b in budgets]
            charts.append(histogram(f"tokens-{family}-{field_name}",
                                     f"{field_name.capitalize()} tokens, {family} tokenizer", counts, marks,
                                     COLORS[field_name]))
    table = ""
    if rows:
        table = ("<table><thead><tr><th>tokenizer</th><th>field</th><th>rows</th><th>p50</th><th>p95</th><th>max</th>"
                 f"<th>rows over each budget (tokens + margin {margin})</th></tr></thead><tbody>{''.join(rows)}"
                 "</tbody></table>")
    return table, charts


# -- sections ------------------------------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{_e(c)}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fit_section(result: LintResult) -> str:
    from prep.reporters.text import fit_table

    if not result.fits:
        return "<p>No fit table: no base model was checked.</p>"
    title, rows = fit_table(result)
    body = []
    for row in rows[1:]:
        cells = "".join(f"<td class=num>{_e(c)}</td>" for c in row[1:-1])
        fits = row[-1]
        body.append(f"<tr><td>{_e(row[0])}</td>{cells}<td class=\"{'ok' if fits == 'yes' else 'bad'}\">{_e(fits)}</td></tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in rows[0])
    return f"<p class=muted>{_e(title)}.</p><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cost_section(data: ReportData) -> str:
    if not data.estimates:
        return "<p>No estimate: no training rows or no base model.</p>"
    rows = []
    fitting = [e for e in data.estimates if e.fits]
    cheapest = min(fitting, key=lambda e: (e.credits, e.model.name)) if fitting else None
    for e in data.estimates:
        rows.append([e.model.name, f"{e.input_tokens:,}", f"{e.epochs}", f"{e.trained_tokens:,}", f"{e.rate:g}",
                     f"{e.credits:,.2f}", f"{e.max_epochs}", "yes" if e.fits else "NO"])
    table = _table(["model", "input tokens", "epochs", "trained tokens", "credits / M tokens", "credits (estimate)",
                    "max epochs", "fits"], rows, numeric=range(1, 7))
    best = (f"Cheapest model that fits: <b>{_e(cheapest.model.name)}</b>, about {cheapest.credits:,.2f} credits."
            if cheapest else "No model fits as the data stands.")
    return (f"<p>{best} Trained tokens = (prompt + completion tokens) x epochs, as Cortex bills. The rates are "
            "estimates (prep/data/models.toml); set yours in <code>[tool.prep.catalog]</code>.</p>" + table)


def _findings_section(data: ReportData) -> str:
    result = data.result
    index = line_index(result)
    shown = result.findings[:MAX_FINDINGS]
    rows = []
    several = len({f.source for f in result.findings}) > 1
    for f in shown:
        line = display_line(f, index)
        excerpt = data.excerpts.get((f.source, f.row, f.field or "prompt"), "") if f.row is not None else ""
        rows.append(
            f'<tr data-rule="{_e(f.code)}" data-severity="{f.severity.value}" data-source="{_e(f.source)}">'
            f'<td><span class="sev {f.severity.value}">{f.severity.value}</span></td>'
            f'<td><a href="#rule-{_e(f.code)}">{_e(f.code)}</a> {_e(f.name)}</td>'
            + (f"<td>{_e(f.source)}</td>" if several else "") +
            f'<td class=num>{"" if f.row is None else f.row}</td><td class=num>{"" if line is None else line}</td>'
            f'<td>{_e(f.field or "")}</td><td>{_e(f.message)}</td><td class="excerpt">{_e(excerpt)}</td></tr>'
        )
    codes = sorted({f.code for f in result.findings})
    names = {f.code: f.name for f in result.findings}
    sources = list(dict.fromkeys(f.source for f in result.findings))
    rule_options = "".join(f'<option value="{_e(c)}">{_e(c)} {_e(names[c])}</option>' for c in codes)
    source_options = "".join(f'<option value="{_e(s)}">{_e(s)}</option>' for s in sources)
    more = (f"<p class=muted>The first {MAX_FINDINGS:,} of {len(result.findings):,} findings are listed; "
            "<code>--format json</code> has them all.</p>" if len(result.findings) > MAX_FINDINGS else "")
    if not result.findings:
        return "<p>No findings.</p>"
    source_filter = (f'<label>source <select id="f-source"><option value="">all</option>{source_options}</select></label>'
                     if several else "")
    source_head = "<th>source</th>" if several else ""
    lead = "" if several else f"<p class=muted>All in {_e(result.findings[0].source)}.</p>"
    return lead + f"""<div class="filters">
<label>rule <select id="f-rule"><option value="">all</option>{rule_options}</select></label>
<label>severity <select id="f-severity"><option value="">all</option><option>error</option><option>warning</option>
<option>info</option></select></label>
{source_filter}
<label>text <input id="f-text" type="search" placeholder="message or excerpt"></label>
<span id="f-count" class="muted">{len(shown):,} shown</span></div>{more}
<div class="scroll"><table id="findings"><thead><tr><th>severity</th><th>rule</th>{source_head}<th>row</th>
<th>line</th><th>field</th><th>message</th><th>excerpt (masked)</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>"""


def _pair_row(left: tuple[str, str, int | None], right: tuple[str, str, int | None], data: ReportData, what: str) -> str:
    def side(name: str, label: str, row: int | None) -> str:
        if row is None:
            return "<td></td>"
        prompt = data.excerpts.get((name, row, "prompt"), "")
        completion = data.excerpts.get((name, row, "completion"), "")
        return (f'<td><div class="muted">{_e(label)}</div><div><b>prompt</b> {_e(prompt)}</div>'
                f'<div><b>completion</b> {_e(completion)}</div></td>')

    return f"<tr>{side(*left)}<td class=num>{_e(what)}</td>{side(*right)}</tr>"


def _pairs_section(data: ReportData) -> tuple[str, str]:
    result = data.result
    by_name = {s.name: s for s in result.sources}

    def place(source: str, row: int) -> str:
        s = by_name.get(source)
        where = s.place(row) if s is not None else f"row {row + 1}"
        return where if len(by_name) == 1 else f"{source} {where}"

    dup_rows, leak_rows = [], []
    dup_codes, leak_codes = set(), set()
    n_dups = n_leaks = 0
    for f in result.findings:
        if f.row is None:
            continue
        if "kept_row" in f.data:
            n_dups += 1
            dup_codes.add(f.code)
            if len(dup_rows) < MAX_PAIRS:
                kept = int(f.data["kept_row"])
                similarity = f.data.get("similarity_to_kept", 1.0)
                what = f"{f.code}\nsimilarity {float(similarity):.2f}"
                dup_rows.append(_pair_row((f.source, place(f.source, f.row), f.row),
                                          (f.source, place(f.source, kept) + " (kept)", kept), data, what))
        elif "train_row" in f.data:
            n_leaks += 1
            leak_codes.add(f.code)
            if len(leak_rows) < MAX_PAIRS:
                train, row = str(f.data.get("train_source")), int(f.data["train_row"])
                what = f"{'exact' if f.data.get('exact') else 'similarity'} {float(f.data.get('similarity', 1.0)):.2f}"
                leak_rows.append(_pair_row((f.source, place(f.source, f.row), f.row), (train, place(train, row), row),
                                           data, what))
    head = "<table class=pairs><thead><tr><th>{}</th><th></th><th>{}</th></tr></thead><tbody>{}</tbody></table>"
    first = f", the first {MAX_PAIRS} shown" if n_dups > MAX_PAIRS else ""
    dups = (f"<p>{n_dups:,} rows repeat another row ({', '.join(sorted(dup_codes))}){first}. "
            "<code>prep prepare</code> keeps the row on the right.</p>" + head.format("row", "kept row", "".join(dup_rows))
            if dup_rows else "<p>No duplicate rows.</p>")
    validation = [s for s in result.sources if s.role == "validation"]
    if not validation:
        leaks = ("<p>No validation data was given (<code>--validation PATH</code>); without it nothing checks that "
                 "the held-out rows are not in the training data. <code>prep prepare</code> splits one off.</p>")
    else:
        vrows = sum(s.n_records for s in validation)
        intro = (f"<p>Validation data: {', '.join(_e(s.name) for s in validation)}, {vrows:,} rows. "
                 f"{n_leaks:,} of them repeat a training row ({', '.join(sorted(leak_codes)) or 'none found'}), so they "
                 "would not measure generalisation.</p>")
        leaks = intro + (head.format("validation row", "training row", "".join(leak_rows)) if leak_rows else "")
    return dups, leaks


def _doc_html(doc: str) -> str:
    """The small Markdown of rule docstrings: ``## `` headings, fenced code, ``- `` lists, inline code."""
    out, in_code, in_list, paragraph = [], False, False, []

    def inline(text: str) -> str:
        escaped = _e(text)
        escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
        return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", escaped)

    def flush() -> None:
        nonlocal paragraph
        if paragraph:
            out.append(f"<p>{inline(' '.join(paragraph))}</p>")
            paragraph = []

    for line in doc.splitlines():
        if line.startswith("```"):
            flush()
            out.append("</pre>" if in_code else "<pre>")
            in_code = not in_code
            continue
        if in_code:
            out.append(_e(line) + "\n")
            continue
        stripped = line.strip()
        if stripped.startswith("- ") or (in_list and line.startswith("  ") and stripped):
            flush()
            if stripped.startswith("- "):
                out.append(("" if in_list else "<ul>") + f"<li>{inline(stripped[2:])}")
                in_list = True
            else:
                out.append(" " + inline(stripped))
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if stripped.startswith("## "):
            flush()
            out.append(f"<h4>{_e(stripped[3:])}</h4>")
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
    flush()
    if in_list:
        out.append("</ul>")
    if in_code:
        out.append("</pre>")
    return "".join(out)


def _rules_section(result: LintResult) -> str:
    counts = Counter(f.code for f in result.findings)
    parts = []
    for cls in result.rules:
        doc = inspect.getdoc(cls) or cls.name
        found = counts.get(cls.code, 0)
        parts.append(f'<details id="rule-{_e(cls.code)}"><summary><b>{_e(cls.code)}</b> '
                     f'{_e(cls.name)} <span class="muted">({cls.severity.value}; {found:,} finding'
                     f'{"s" * (found != 1)})</span></summary>{_doc_html(doc)}</details>')
    return "".join(parts)


def _metadata_section(data: ReportData) -> str:
    result = data.result
    settings = result.settings
    rows = [["prep", __version__], ["generated", data.generated]]
    if settings is not None:
        rows += [
            ["config", settings.origin],
            ["models", ", ".join(m.name for m in result.models)],
            ["epochs, margin", f"{settings.epochs}, {settings.margin} tokens per side"],
            ["select / ignore", f"{', '.join(settings.select) or '-'} / {', '.join(settings.ignore) or '-'}"],
            ["columns", f"prompt: {settings.prompt_col}, completion: {settings.completion_col}"],
            ["rules run", ", ".join(r.code for r in result.rules)],
        ]
        if settings.rules:
            rows.append(["rule options", "; ".join(f"{k}: {dict(v)}" for k, v in settings.rules.items())])
    meta = _table(["", ""], rows)
    inputs = _table(
        ["input", "role", "format", "rows", "bytes", "SHA-256"],
        [[s.name, s.role, s.kind, f"{s.n_records:,}", f"{s.size_bytes:,}", data.hashes.get(s.name, "-")]
         for s in result.sources],
        numeric=(3, 4),
    )
    return meta.replace("<thead><tr><th></th><th></th></tr></thead>", "") + inputs


STYLE = """<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #f6f7f9; }
main { max-width: 1600px; margin: 0 auto; padding: 16px 28px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
h3 { font-size: 14px; margin: 0 0 6px; } h4 { font-size: 13px; margin: 12px 0 4px; }
nav a { margin-right: 14px; } .muted { color: #5f6b7a; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
.card { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px 14px; min-width: 0; }
table { border-collapse: collapse; background: #fff; width: 100%; }
td, th { border-bottom: 1px solid #e3e6ea; padding: 3px 10px; text-align: left; vertical-align: top; }
th { background: #eef0f3; position: sticky; top: 0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.ok { color: #1d6b35; font-weight: 600; } td.bad { color: #b3261e; font-weight: 700; }
.scroll { max-height: 640px; overflow: auto; border: 1px solid #dde1e6; }
.excerpt { font: 12px/1.35 ui-monospace, monospace; color: #333; max-width: 36em; }
.sev { font-weight: 700; } .sev.error { color: #b3261e; } .sev.warning { color: #8a6100; } .sev.info { color: #5f6b7a; }
.badges span { display: inline-block; margin-right: 10px; padding: 2px 10px; border-radius: 10px; background: #fff;
  border: 1px solid #dde1e6; }
.filters { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; margin: 6px 0 8px; }
table.pairs td { width: 45%; font: 12px/1.35 ui-monospace, monospace; } table.pairs td.num { width: 10%; white-space: pre-line; }
details { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 6px 12px; margin: 6px 0; }
details pre { background: #f3f4f6; padding: 6px; overflow: auto; } code { background: #f0f1f3; padding: 0 3px; }
svg text { font-family: system-ui, sans-serif; } #render-check { display: none; }
</style>"""

SCRIPT = """<script>
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var ids = ["f-rule", "f-severity", "f-source", "f-text"];
  function apply() {
    var rule = value("f-rule"), sev = value("f-severity"), src = value("f-source"), text = value("f-text").toLowerCase();
    var shown = 0;
    rows.forEach(function (tr) {
      var ok = (!rule || tr.dataset.rule === rule) && (!sev || tr.dataset.severity === sev) &&
               (!src || tr.dataset.source === src) && (!text || tr.textContent.toLowerCase().indexOf(text) >= 0);
      tr.style.display = ok ? "" : "none";
      if (ok) shown++;
    });
    var count = document.getElementById("f-count");
    if (count) count.textContent = shown + " of " + rows.length + " shown";
  }
  function value(id) { var el = document.getElementById(id); return el ? el.value : ""; }
  ids.forEach(function (id) { var el = document.getElementById(id); if (el) el.addEventListener("input", apply); });
  function openTarget() { var t = location.hash && document.getElementById(location.hash.slice(1));
    if (t && t.tagName === "DETAILS") t.open = true; }
  window.addEventListener("hashchange", openTarget); openTarget();
  window.prepFilter = function (field, v) { document.getElementById(field).value = v; apply(); return document.getElementById("f-count").textContent; };
})();
window.addEventListener("load", function () {
  var out = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    var box = svg.getBoundingClientRect(), bars = svg.querySelectorAll("rect.bar"), drawn = 0;
    bars.forEach(function (b) { if (b.getBBox().height > 0 && b.getBBox().width > 0) drawn++; });
    var labels = Array.prototype.map.call(svg.querySelectorAll("text.label"), function (t) { return t.getBBox(); });
    var view = svg.viewBox.baseVal, overlaps = 0, clipped = 0;
    for (var i = 0; i < labels.length; i++) {
      var a = labels[i];
      if (a.x < -0.5 || a.y < -0.5 || a.x + a.width > view.width + 0.5 || a.y + a.height > view.height + 0.5) clipped++;
      for (var j = i + 1; j < labels.length; j++) {
        var b = labels[j];
        if (a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5) overlaps++;
      }
    }
    out.push({id: svg.id, width: box.width, height: box.height, bars: bars.length, drawn: drawn,
               over: svg.querySelectorAll("rect.bar.over").length, budgets: svg.querySelectorAll("line.budget").length,
               overlaps: overlaps, clipped: clipped});
  });
  var table = document.getElementById("findings");
  document.getElementById("render-check").textContent = JSON.stringify({charts: out,
    findings: table ? table.querySelectorAll("tbody tr").length : 0, page_width: document.documentElement.scrollWidth,
    filtered: window.prepFilter && table ? window.prepFilter("f-severity", "error") : ""});
  if (window.prepFilter && table) window.prepFilter("f-severity", "");
});
</script>"""


def render(data: ReportData) -> str:
    """The page, from what :func:`collect` measured."""
    result = data.result
    summary = result.summary()
    token_table, charts = _token_section(data)
    side_charts = []
    if data.labels:
        side_charts.append(hbars("labels", f"Labels: training rows per class ({len(data.labels):,} classes)",
                                  list(data.labels), list(data.labels.values()), "#4f7d5c"))
    by_code = summary["by_code"]
    names = {f.code: f.name for f in result.findings}
    severity = {f.code: f.severity.value for f in result.findings}
    side_charts.append(hbars("findings", "Findings by rule", [f"{c} {names[c]}" for c in by_code] or ["none"],
                              list(by_code.values()) or [0], [COLORS[severity[c]] for c in by_code] or "#888"))
    clusters = Counter()
    for f in result.findings:  # the near-duplicate rule's members (by the data they carry, not by rule)
        if "cluster" in f.data and "cluster_size" in f.data:
            clusters[f.data["cluster"]] = max(clusters[f.data["cluster"]], int(f.data.get("cluster_size", 0)))
    top = clusters.most_common(30)
    side_charts.append(hbars("clusters", "Near-duplicate clusters: rows per cluster (largest 30)",
                              [f"cluster {c}" for c, _ in top] or ["none"], [n for _, n in top] or [0], "#7a5195"))
    entities = Counter()
    for f in result.findings:  # findings that count personal data by entity type
        if isinstance(f.data.get("entities"), dict):
            entities.update(f.data["entities"])
    side_charts.append(hbars("pii", "PII: detections per entity type (values are never shown)",
                              list(entities) or ["none"], list(entities.values()) or [0], "#b3261e"))
    dups, leaks = _pairs_section(data)
    sources = ", ".join(_e(s.name) for s in result.sources)
    n_rows = sum(s.n_records for s in result.sources)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>prep report: {sources}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
{STYLE}</head><body><main>
<h1>prep report</h1>
<p class=muted>{sources}: {n_rows:,} rows; models {", ".join(_e(m.name) for m in result.models)}; prep {_e(__version__)}</p>
<p class="badges"><span class="sev error">{summary["errors"]:,} errors</span><span class="sev warning">
{summary["warnings"]:,} warnings</span><span class="sev info">{summary["info"]:,} info</span></p>
<nav><a href="#fit">fit</a><a href="#findings-h">findings</a><a href="#dups">duplicates</a><a href="#leaks">validation</a>
<a href="#tokens">tokens</a><a href="#cost">cost</a><a href="#charts">charts</a><a href="#meta">run</a><a href="#rules">rules</a></nav>
<h2 id="fit">Fit per base model</h2>{_fit_section(result)}
<h2 id="findings-h">Findings</h2>{_findings_section(data)}
<h2 id="dups">Duplicate pairs</h2>{dups}
<h2 id="leaks">Validation data and leaks</h2>{leaks}
<h2 id="tokens">Token statistics</h2>{token_table}
<div class="grid">{"".join(charts)}</div>
<h2 id="cost">Estimated cost</h2>{_cost_section(data)}
<h2 id="charts">Labels, findings, clusters, PII</h2><div class="grid">{"".join(side_charts)}</div>
<h2 id="meta">Run</h2>{_metadata_section(data)}
<h2 id="rules">Rules</h2>{_rules_section(result)}
<pre id="render-check"></pre>
</main>
{SCRIPT}
</body></html>
"""
