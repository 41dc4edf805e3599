"""The HTML report's charts: inline SVG, every label whole and apart (the browser test measures overlaps)."""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Sequence

WIDTH, PAD = 640, 36
COLORS = {"prompt": "#3b6ea8", "completion": "#c9733a", "error": "#b3261e", "warning": "#8a6100", "info": "#5f6b7a",
          "over": "#b3261e"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _text_width(text: str, size: float = 11) -> float:
    """A generous estimate of a label's width in pixels (system-ui at ``size`` px)."""
    return len(text) * size * 0.62 + 4


def hbars(chart_id: str, title: str, labels: Sequence[str], values: Sequence[float], color: str | Sequence[str],
           note: str = "", max_label: int = 48) -> str:
    """A horizontal bar chart: one row per item with its whole label (up to ``max_label`` characters, the rest in
    the tooltip) and its value at the bar's end, so long class names and many classes stay readable."""
    n = max(len(values), 1)
    row_h = 18
    shown = [label if len(label) <= max_label else label[: max_label - 1] + "\u2026" for label in labels]
    label_w = min(max((_text_width(s) for s in shown), default=40), WIDTH * 0.45)
    top = max(values, default=0) or 1
    value_w = _text_width(f"{top:,.0f}") + 6
    bar_room = WIDTH - label_w - value_w - 12
    height = n * row_h + 28
    parts = [f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
             f'aria-label="{_e(title)}" preserveAspectRatio="xMinYMin meet">']
    for i, (label, full, value) in enumerate(zip(shown, labels, values)):
        y = 8 + i * row_h
        w = bar_room * value / top
        if value > 0:
            w = max(w, 3.0)
        fill = color if isinstance(color, str) else color[i]
        parts.append(f'<text class="label" x="{label_w:.1f}" y="{y + 12}" font-size="11" text-anchor="end">'
                     f'{_e(label)}<title>{_e(full)}</title></text>')
        parts.append(f'<rect class="bar" x="{label_w + 6:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 5}" '
                     f'fill="{fill}"><title>{_e(full)}: {value:,.0f}</title></rect>')
        parts.append(f'<text class="label" x="{label_w + 10 + w:.1f}" y="{y + 12}" font-size="11" fill="#444">'
                     f'{value:,.0f}</text>')
    if note:
        parts.append(f'<text class="label" x="4" y="{height - 6}" font-size="11" fill="#555">{_e(note)}</text>')
    parts.append("</svg>")
    return f'<section class="card"><h3>{_e(title)}</h3>{"".join(parts)}</section>'


def _short(n: int) -> str:
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else f"{n:,}"


def histogram(chart_id: str, title: str, counts: Sequence[int], budgets: Sequence[tuple[int, str]], color: str) -> str:
    """Rows per token length on power-of-two bins, each model's budget as a dashed line; bins at or above the
    lowest budget are red and at least 4 px high, with their row count above them."""
    height, base = 220, 200
    upper = max(max(counts, default=1), max((b for b, _ in budgets), default=1)) + 1
    edges = [0] + [2 ** k for k in range(0, int(math.log2(upper)) + 2)]
    hist = Counter()
    for c in counts:
        hist[next(i for i in range(len(edges) - 1) if c < edges[i + 1])] += 1
    n = len(edges) - 1
    values = [hist[i] for i in range(n)]
    top = max(values, default=0) or 1
    bar_w = (WIDTH - 2 * PAD) / n
    lowest = min((b for b, _ in budgets), default=None)
    parts = [f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {WIDTH} {height + 40}" width="100%" role="img" '
             f'aria-label="{_e(title)}" preserveAspectRatio="xMinYMin meet">',
             f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" stroke="#888"/>']
    every = max(1, math.ceil(n * 34 / (WIDTH - 2 * PAD)))  # tick labels that fit side by side
    for i, value in enumerate(values):
        x = PAD + i * bar_w
        over = lowest is not None and edges[i + 1] > lowest
        h = (base - 40) * value / top
        if value > 0:
            h = max(h, 4.0 if over else 2.0)
        fill = COLORS["over"] if over else color
        label = f"{_short(edges[i])}\u2013{_short(edges[i + 1] - 1)} tokens" if edges[i + 1] > 1 else "0 tokens"
        parts.append(f'<rect class="bar{" over" if over else ""}" x="{x + 1:.1f}" y="{base - h:.1f}" '
                     f'width="{max(bar_w - 2, 1):.1f}" height="{h:.1f}" fill="{fill}"><title>{_e(label)}: '
                     f'{value:,} rows</title></rect>')
        if over and value:
            parts.append(f'<text class="label" x="{x + bar_w / 2:.1f}" y="{base - h - 4:.1f}" font-size="10" '
                         f'text-anchor="middle" fill="{COLORS["over"]}">{value:,}</text>')
        if i % every == 0:
            parts.append(f'<text class="label" x="{x:.1f}" y="{base + 14}" font-size="10" text-anchor="middle">'
                         f'{_short(edges[i])}</text>')
    parts.append(f'<text class="label" x="{WIDTH / 2:.0f}" y="{base + 32}" font-size="10" text-anchor="middle" '
                 f'fill="#555">tokens per row (bins double in width)</text>')
    for k, (budget, names) in enumerate(budgets):
        i = next(i for i in range(n) if budget < edges[i + 1])
        position = i + (budget - edges[i]) / (edges[i + 1] - edges[i])
        x = PAD + position * bar_w
        anchor, dx = ("end", -3) if x > WIDTH * 0.55 else ("start", 3)
        parts.append(f'<line class="budget" x1="{x:.1f}" y1="{12 + 13 * k}" x2="{x:.1f}" y2="{base}" stroke="#b3261e" '
                     f'stroke-dasharray="4 3"/><text class="label" x="{x + dx:.1f}" y="{22 + 13 * k}" font-size="10" '
                     f'text-anchor="{anchor}" fill="#b3261e">{_e(f"{budget:,}")} {_e(names)}</text>')
    parts.append(f'<text class="label" x="{PAD}" y="{base + 32}" font-size="10" fill="#555">most rows in a bin: '
                 f'{top:,}</text></svg>')
    return f'<section class="card"><h3>{_e(title)}</h3>{"".join(parts)}</section>'
