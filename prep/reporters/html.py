"""``prep lint ... --html report.html``: one self-contained page with charts (inline SVG, no script or style from
anywhere else): token lengths of prompts and completions against each model's budget, labels, findings by rule,
near-duplicate clusters, PII entity counts (counts only: values never appear).

A small inline script measures every chart once the page is laid out and writes the result into
``#render-check`` (the browser test reads it); the page works without it.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from prep import __version__
from prep.engine.run import LintResult
from prep.measures.labels import label_stats
from prep.measures.tokens import token_counts

WIDTH, HEIGHT, PAD = 640, 220, 36
COLORS = {"prompt": "#3b6ea8", "completion": "#c9733a", "error": "#b3261e", "warning": "#b07d00", "info": "#5f6b7a"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _bars(chart_id: str, title: str, labels: Sequence[str], values: Sequence[float], color: str | Sequence[str],
          note: str = "", lines: Sequence[tuple[float, str]] = ()) -> str:
    """A vertical bar chart; ``lines`` are (x position in bar units, label) markers such as a token budget."""
    n = max(len(values), 1)
    top = max(values, default=0) or 1
    bar_w = (WIDTH - 2 * PAD) / n
    parts = [f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT + 40}" width="{WIDTH}" '
             f'height="{HEIGHT + 40}" role="img" aria-label="{_e(title)}">']
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH - PAD}" y2="{HEIGHT}" stroke="#888"/>')
    for i, (label, value) in enumerate(zip(labels, values)):
        h = (HEIGHT - PAD) * value / top
        if value > 0:
            h = max(h, 2.0)  # a single row over a budget stays visible next to thousands
        fill = color if isinstance(color, str) else color[i]
        x = PAD + i * bar_w
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{HEIGHT - h:.1f}" width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" '
            f'fill="{fill}"><title>{_e(label)}: {value:,.0f}</title></rect>'
        )
        if n <= 24:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT + 14}" font-size="10" text-anchor="middle">'
                f"{_e(str(label)[:14])}</text>"
            )
    for k, (position, label) in enumerate(lines):
        x = PAD + position * bar_w
        anchor, dx = ("end", -3) if x > WIDTH * 0.6 else ("start", 3)
        parts.append(f'<line class="budget" x1="{x:.1f}" y1="{PAD / 2}" x2="{x:.1f}" y2="{HEIGHT}" stroke="#b3261e" '
                     f'stroke-dasharray="4 3"/><text x="{x + dx:.1f}" y="{PAD / 2 + 10 + 12 * k}" font-size="10" '
                     f'text-anchor="{anchor}" fill="#b3261e">{_e(label)}</text>')
    parts.append(f'<text x="{PAD}" y="14" font-size="11" fill="#555">max {top:,.0f}{_e(note)}</text></svg>')
    return f'<section><h2>{_e(title)}</h2>{"".join(parts)}</section>'


@dataclass
class ReportData:
    """What the page shows, measured before rendering: the run's result, the token count of every training row
    per tokenizer family and field, and the label counts (already masked for display)."""

    result: LintResult
    tokens: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)


def collect(result: LintResult) -> ReportData:
    """Measure what :func:`render` draws (this tokenizes every training row, once per tokenizer family)."""
    ctx = result.context
    data = ReportData(result)
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
    return data


def _token_charts(data: ReportData) -> list[str]:
    charts = []
    families: dict[str, list] = {}
    for model in data.result.models:
        families.setdefault(model.tokenizer, []).append(model)
    for family, models in families.items():
        for field_name in ("prompt", "completion"):
            counts = data.tokens.get((family, field_name), [])
            if not counts:
                continue
            budgets = sorted({m.budget(field_name) for m in models})
            upper = max(max(counts), max(budgets)) + 1
            edges = [0] + [2 ** k for k in range(0, int(math.log2(upper)) + 2)]
            hist = Counter()
            for c in counts:
                hist[next(i for i in range(len(edges) - 1) if c < edges[i + 1])] += 1
            labels = [f"<{edges[i + 1]:,}" for i in range(len(edges) - 1)]
            values = [hist[i] for i in range(len(edges) - 1)]

            def position(budget: int) -> float:
                i = next(i for i in range(len(edges) - 1) if budget < edges[i + 1])
                low, high = edges[i], edges[i + 1]
                return i + (budget - low) / (high - low)

            lines = [(position(b), f"{b:,} ({', '.join(m.name for m in models if m.budget(field_name) == b)})")
                     for b in budgets]
            charts.append(_bars(
                f"tokens-{family}-{field_name}", f"{field_name.capitalize()} tokens ({family} tokenizer), rows per "
                "length, with each model's budget", labels, values, COLORS[field_name], lines=lines,
            ))
    return charts


def render(data: ReportData) -> str:
    """The page, from what :func:`collect` measured."""
    result = data.result
    summary = result.summary()
    charts = _token_charts(data)
    if data.labels:
        charts.append(_bars("labels", "Labels (training rows per class)", list(data.labels),
                            list(data.labels.values()), "#4f7d5c"))
    by_code = summary["by_code"]
    severity = {f.code: f.severity.value for f in result.findings}
    charts.append(_bars("findings", "Findings by rule", list(by_code) or ["none"], list(by_code.values()) or [0],
                        [COLORS[severity[c]] for c in by_code] or "#888"))
    clusters = Counter()
    for f in result.findings:  # the near-duplicate rule's members (by the data they carry, not by rule)
        if "cluster" in f.data and "cluster_size" in f.data:
            clusters[f.data["cluster"]] = max(clusters[f.data["cluster"]], int(f.data.get("cluster_size", 0)))
    top = clusters.most_common(30)
    charts.append(_bars("clusters", "Near-duplicate clusters (rows per cluster, largest 30)",
                        [f"#{c}" for c, _ in top] or ["none"], [n for _, n in top] or [0], "#7a5195"))
    entities = Counter()
    for f in result.findings:  # findings that count personal data by entity type
        if isinstance(f.data.get("entities"), dict):
            entities.update(f.data["entities"])
    charts.append(_bars("pii", "PII found (detections per entity type; values are never shown)",
                        list(entities) or ["none"], list(entities.values()) or [0], "#b3261e"))

    fits = "".join(
        f"<tr><td>{_e(fit.model.name)}</td><td>{fit.rows_over_prompt:,}</td><td>{fit.rows_over_completion:,}</td>"
        f"<td>{fit.rows:,} / {fit.row_limit:,}</td><td>{'yes' if fit.fits else 'NO'}</td></tr>"
        for fit in result.fits
    )
    sources = ", ".join(_e(s.name) for s in result.sources)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>prep report: {sources}</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<style>
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 720px; color: #222; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 15px; margin: 1.6em 0 .4em; }}
table {{ border-collapse: collapse; }} td, th {{ border-bottom: 1px solid #ddd; padding: 2px 10px; text-align: left; }}
.summary span {{ margin-right: 1.2em; }} #render-check {{ display: none; }}
</style></head><body>
<h1>prep report</h1>
<p>{sources}: {sum(s.n_records for s in result.sources):,} rows; models {", ".join(_e(m.name) for m in result.models)};
prep {_e(__version__)}</p>
<p class="summary"><span>{summary["errors"]:,} errors</span><span>{summary["warnings"]:,} warnings</span>
<span>{summary["info"]:,} info</span></p>
<h2>Fit per base model</h2>
<table><tr><th>model</th><th>prompts over</th><th>completions over</th><th>rows / limit</th><th>fits</th></tr>{fits}</table>
{"".join(charts)}
<pre id="render-check"></pre>
<script>
window.addEventListener("load", function () {{
  var out = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {{
    var box = svg.getBoundingClientRect(), bars = svg.querySelectorAll("rect.bar"), drawn = 0;
    bars.forEach(function (b) {{ if (b.getBBox().height > 0) drawn++; }});
    out.push({{id: svg.id, width: box.width, height: box.height, bars: bars.length, drawn: drawn,
               budgets: svg.querySelectorAll("line.budget").length}});
  }});
  document.getElementById("render-check").textContent = JSON.stringify(out);
}});
</script>
</body></html>
"""
