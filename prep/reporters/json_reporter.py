"""``--format json``: a stable document, ``schema_version`` 1.

``{"schema_version": 1, "sources": [...], "models": [...], "findings": [...], "summary": {...}}``; ``row`` in a
finding is the 0-based record index in its source, ``line`` the 1-based place the text output shows (the line
where the record starts, or the 1-based row for formats without lines), both null for findings about a whole
source. Row numbers inside ``data`` (``kept_row``, ``train_row``, ``rows``) are 0-based record indices too.
"""

from __future__ import annotations

import json

from prep.engine.run import LintResult
from prep.finding import Finding
from prep.reporters.locations import display_line, line_index

SCHEMA_VERSION = 1


def _finding(finding: Finding, index: dict) -> dict:
    out = finding.to_dict()
    placed = {}
    for key, value in out.items():
        placed[key] = value
        if key == "row":
            placed["line"] = display_line(finding, index)
    return placed


def document(result: LintResult) -> dict:
    index = line_index(result)
    return {
        "schema_version": SCHEMA_VERSION,
        "sources": [s.to_dict() for s in result.sources],
        "models": [fit.to_dict() for fit in result.fits],
        "findings": [_finding(f, index) for f in result.findings],
        "summary": result.summary(),
    }


def render(result: LintResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
