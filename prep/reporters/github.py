"""``--format github``: GitHub Actions workflow annotations, one per finding.

``::error file=data/train.jsonl,line=12,title=TK001 prompt-over-budget::prompt has 9,210 tokens ...``; errors are
``error``, warnings ``warning``, info ``notice``. Findings about a whole file point at its first line (every
annotation has a line); with no file behind a source (a frame), no ``file``.
"""

from __future__ import annotations

from pathlib import Path

from prep.engine.run import LintResult
from prep.reporters.locations import line_index, line_of

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: LintResult) -> str:
    index = line_index(result)
    files = {s.name for s in result.sources if s.kind != "frame" and Path(s.name).exists()}
    lines = []
    for finding in result.findings:
        props = []
        if finding.source in files:
            props.append(f"file={_property(finding.source)}")
            line = line_of(finding, index)
            props.append(f"line={line if line is not None else 1}")  # a whole-file finding points at its top
        props.append(f"title={_property(f'{finding.code} {finding.name}')}")
        where = f"row {finding.row}: " if finding.row is not None else ""
        lines.append(f"::{LEVELS[finding.severity.value]} {','.join(props)}::{_data(where + finding.message)}")
    return "".join(line + "\n" for line in lines)
