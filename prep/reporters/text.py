"""``--format text``: one line per finding (``source:row: CODE name message``), a fit table, a summary."""

from __future__ import annotations

import textwrap

from prep.engine.run import LintResult
from prep.finding import Severity


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def render(result: LintResult) -> str:
    lines = []
    for f in result.findings:
        where = f.source if f.row is None else f"{f.source}:{f.row}"
        lines.append(f"{where}: {f.code} {f.name} {f.message}")
    if result.fits:
        settings = result.settings
        if lines:
            lines.append("")
        lines.append(
            f"Fit of the training data per base model (margin {settings.margin} tokens per side, "
            f"{settings.epochs} epochs):"
        )
        rows = [["model", "prompt over", "completion over", "tokens cut", "data / cap", "rows / limit", "fits"]]
        for fit in result.fits:
            rows.append(
                [
                    fit.model.name,
                    f"{fit.rows_over_prompt:,}",
                    f"{fit.rows_over_completion:,}",
                    f"{fit.tokens_cut:,}",
                    f"{_size(fit.data_bytes)} / {_size(fit.model.data_cap_bytes)}",
                    f"{fit.rows:,} / {fit.row_limit:,}",
                    "yes" if fit.fits else "NO",
                ]
            )
        lines += ["  " + line for line in _table(rows)]
    summary = result.summary()
    if summary["by_code"]:
        lines.append("")
        lines.append("Findings by rule:")
        names = {f.code: (f.name, f.severity.value) for f in result.findings}
        rows = [[code, names[code][0], names[code][1], f"{count:,}"] for code, count in summary["by_code"].items()]
        lines += ["  " + line for line in _table(rows)]
    for code, note in result.notes.items():
        lines += ["", *textwrap.wrap(f"{code}: {note['text']}", width=110, subsequent_indent="  ")]
    lines.append("")
    n_rows = sum(s.n_records for s in result.sources)
    counts = ", ".join(
        f"{n:,} {label}{'s' * (n != 1 and label != 'info')}"
        for n, label in (
            (result.count(Severity.ERROR), "error"),
            (result.count(Severity.WARNING), "warning"),
            (result.count(Severity.INFO), "info"),
        )
    )
    sources = len(result.sources)
    lines.append(
        f"{counts} in {n_rows:,} rows of {sources} source{'s' * (sources != 1)}; "
        f"models: {', '.join(m.name for m in result.models)}."
    )
    return "\n".join(lines) + "\n"
