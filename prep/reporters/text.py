"""``--format text``: one line per finding (``path:line: CODE name message``, the 1-based line where the record
starts, or the 1-based row where the format has no lines), a fit table, notes, a summary line; the per-rule table
with ``statistics``; only the findings and the summary line with ``quiet``."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from prep.engine.run import LintResult
from prep.finding import Severity
from prep.reporters.locations import display_line, line_index

# The ANSI colour of a finding's code per severity, on a terminal (see prep.cli: never with NO_COLOR or a pipe).
COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}


def _size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _plain(text: str, severity: str | None = None) -> str:
    return text


def render(
    result: LintResult,
    *,
    statistics: bool = False,
    quiet: bool = False,
    summary: bool = True,
    style: Callable[[str, str | None], str] = _plain,
) -> str:
    """The report. ``style(text, severity)`` may decorate the parts that are prep's own words (codes, the summary),
    never the data: pass one that also makes the rest safe for a terminal (prep.cli does)."""
    index = line_index(result)
    findings = []
    for f in result.findings:
        line = display_line(f, index)
        where = f.source if line is None else f"{f.source}:{line}"
        findings.append(f"{style(where + ':', None)} {style(f.code, f.severity.value)} {style(f'{f.name} {f.message}', None)}")
    blocks = [findings] if findings else []
    if not quiet:
        blocks += [[style(line, None) for line in block] for block in _details(result, statistics)]
    if summary:
        blocks.append([style(_summary_line(result), None)])
    if quiet:  # findings and the summary line, nothing between them
        return "".join(line + "\n" for block in blocks for line in block)
    if not blocks:
        return ""
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def fit_table(result: LintResult) -> tuple[str, list[list[str]]]:
    """The fit table's title and rows (the header first), as the text output and the HTML report show it."""
    settings = result.settings
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
    title = (f"Fit of the training data per base model (margin {settings.margin} tokens per side, "
             f"{settings.epochs} epochs)")
    return title, rows


def _details(result: LintResult, statistics: bool) -> list[list[str]]:
    """Blocks of lines: the fit table, the per-rule table (with ``statistics``), each note."""
    blocks: list[list[str]] = []
    if result.fits:
        title, rows = fit_table(result)
        blocks.append([title + ":", *("  " + line for line in _table(rows))])
    by_code = result.summary()["by_code"]
    if statistics and by_code:
        names = {f.code: (f.name, f.severity.value) for f in result.findings}
        rows = [[code, names[code][0], names[code][1], f"{count:,}"] for code, count in by_code.items()]
        blocks.append(["Findings by rule:", *("  " + line for line in _table(rows))])
    for code, note in result.notes.items():
        if code in ("min-severity", "baseline"):
            continue  # on the summary line
        blocks.append(textwrap.wrap(f"{code}: {note['text']}", width=110, subsequent_indent="  "))
    return blocks


def _summary_line(result: LintResult) -> str:
    return summary_line(result)


def summary_line(*results: LintResult) -> str:
    """The last line of the report: counts by severity, rows, sources and models, for one result or (several
    PATHs with ``--quiet``) for all of them together."""
    n_rows = sum(s.n_records for r in results for s in r.sources)
    counts = ", ".join(
        f"{n:,} {label}{'s' * (n != 1 and label != 'info')}"
        for n, label in (
            (sum(r.count(Severity.ERROR) for r in results), "error"),
            (sum(r.count(Severity.WARNING) for r in results), "warning"),
            (sum(r.count(Severity.INFO) for r in results), "info"),
        )
    )
    sources = sum(len(r.sources) for r in results)
    # findings left out by a filter are counted on the one line even --quiet prints: none disappears unsaid
    if len(results) == 1:
        notes = results[0].notes
        left_out = "".join(f"; {notes[key]['text']}" for key in ("min-severity", "baseline") if key in notes)
    else:
        hidden = sum(r.notes.get("min-severity", {}).get("hidden", 0) for r in results)
        floor = next((r.notes["min-severity"]["floor"] for r in results if "min-severity" in r.notes), "")
        left_out = f"; {hidden:,} finding{'s' * (hidden != 1)} below {floor} not reported" if hidden else ""
    models = list(dict.fromkeys(m.name for r in results for m in r.models))
    return (
        f"{counts} in {n_rows:,} row{'s' * (n_rows != 1)} of {sources} source{'s' * (sources != 1)}{left_out}; "
        f"models: {', '.join(models)}."
    )
