"""Reporters: one module per output format, each a ``render(result) -> str`` over the same finding records.

Those in :data:`COMBINED` render several results (several PATHs) as one document: ``render(*results)``; the
others' outputs are concatenated (text, github lines) or refused for several PATHs (json)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prep.engine.run import LintResult
from prep.errors import ConfigError
from prep.reporters import github, json_reporter, junit, sarif, text

REPORTERS: dict[str, Callable[[LintResult], str]] = {
    "text": text.render,
    "json": json_reporter.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
}
COMBINED = frozenset({"junit", "sarif"})


def render(result: LintResult, format: str = "text", **options: Any) -> str:
    """``result`` in one of ``prep lint``'s formats: ``text`` (options ``statistics``, ``quiet``), ``json``,
    ``github``, ``junit``, ``sarif`` or ``html`` (the self-contained page ``--html`` writes)."""
    from prep.reporters import html

    if format == "html":
        return html.render(html.collect(result))
    if format == "text":
        return text.render(result, **options)
    if format not in REPORTERS:
        raise ConfigError(f"unknown format {format!r}; formats: {', '.join(sorted([*REPORTERS, 'html']))}")
    if options:
        raise ConfigError(f"format {format!r} takes no options, got {', '.join(sorted(options))}")
    return REPORTERS[format](result)
