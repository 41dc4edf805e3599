"""Where a finding is in its file: the 1-based line of its row, for formats that point at lines."""

from __future__ import annotations

from prep.engine.run import LintResult
from prep.finding import Finding


def line_index(result: LintResult) -> dict[str, dict[int, int]]:
    """Per source name, row -> the line where that record starts (formats without lines have none)."""
    out: dict[str, dict[int, int]] = {}
    for source in result.sources:
        frame = source.frame.select("row", "line").drop_nulls()
        out[source.name] = dict(zip(frame["row"].to_list(), frame["line"].to_list()))
    return out


def line_of(finding: Finding, index: dict[str, dict[int, int]]) -> int | None:
    if finding.row is None:
        return None
    return index.get(finding.source, {}).get(finding.row)


def display_line(finding: Finding, index: dict[str, dict[int, int]]) -> int | None:
    """The 1-based place people and editors look for a finding: the line where its record starts, the 1-based row
    where the format has no lines (Parquet, frames); None for a finding about a whole source."""
    if finding.row is None:
        return None
    line = index.get(finding.source, {}).get(finding.row)
    return line if line is not None else finding.row + 1
