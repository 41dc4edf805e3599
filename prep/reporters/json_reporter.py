"""``--format json``: a stable document, ``schema_version`` 1.

``{"schema_version": 1, "sources": [...], "models": [...], "findings": [...], "summary": {...}}``; ``row`` in a
finding is the 0-based record index in its source, or null for findings about a whole source.
"""

from __future__ import annotations

import json

from prep.engine.run import LintResult

SCHEMA_VERSION = 1


def document(result: LintResult) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "sources": [s.to_dict() for s in result.sources],
        "models": [fit.to_dict() for fit in result.fits],
        "findings": [f.to_dict() for f in result.findings],
        "summary": result.summary(),
    }


def render(result: LintResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
