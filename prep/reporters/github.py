"""``--format github``: GitHub Actions workflow annotations, one per finding.

``::error file=data/train.jsonl,line=12,title=TK001 prompt-over-budget::prompt has 9,210 tokens ...``; errors are
``error``, warnings ``warning``, info ``notice``. Findings about a whole file point at its first line (every
annotation has a line); with no file behind a source (a frame), no ``file``. ``file`` is relative to the root of
the git repository holding the file, as GitHub matches it to the checkout (:mod:`prep.reporters.artifacts`),
however the path was typed. A Parquet file has no lines, so its findings say ``row N:`` (1-based) in the text.
"""

from __future__ import annotations

from prep.engine.run import LintResult
from prep.reporters.artifacts import locate
from prep.reporters.locations import line_index, line_of
from prep.reporters.sarif import LINED

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: LintResult) -> str:
    index = line_index(result)
    files = {s.name: locate(s.name, s.kind) for s in result.sources if s.kind != "frame"}
    files = {name: where for name, where in files.items() if where.exists}
    kinds = {s.name: s.kind for s in result.sources}
    lines = []
    for finding in result.findings:
        props = []
        line = line_of(finding, index) if kinds.get(finding.source) in LINED else None
        if finding.source in files:
            props.append(f"file={_property(files[finding.source].path)}")
            props.append(f"line={line if line is not None else 1}")  # a whole-file finding points at its top
        props.append(f"title={_property(f'{finding.code} {finding.name}')}")
        where = f"row {finding.row + 1}: " if finding.row is not None and line is None else ""  # Parquet: no lines
        lines.append(f"::{LEVELS[finding.severity.value]} {','.join(props)}::{_data(where + finding.message)}")
    return "".join(line + "\n" for line in lines)
