"""Reporters: one module per output format, each a ``render(result) -> str`` over the same finding records.

Those in :data:`COMBINED` render several results (several PATHs) as one document: ``render(*results)``; the
others' outputs are concatenated (text, github lines) or refused for several PATHs (json)."""

from __future__ import annotations

from collections.abc import Callable

from prep.engine.run import LintResult
from prep.reporters import github, json_reporter, junit, sarif, text

REPORTERS: dict[str, Callable[[LintResult], str]] = {
    "text": text.render,
    "json": json_reporter.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
}
COMBINED = frozenset({"junit", "sarif"})
