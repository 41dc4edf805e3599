"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One ``reportingDescriptor`` per rule that ran, with its documentation (summary, full text, help in Markdown,
default level); one result per finding, pointing at the file and the line where its record starts, with a
``partialFingerprints`` entry (the baseline's content fingerprint) so that viewers follow a finding across
reorderings. Levels: error, warning, and ``note`` for info.
"""

from __future__ import annotations

import inspect
import json
from pathlib import PurePath

from prep import __version__
from prep.engine.run import LintResult
from prep.reporters.locations import line_index, line_of
from prep.suppress import fingerprint

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _rule(cls) -> dict:
    doc = inspect.getdoc(cls) or cls.name
    summary = doc.splitlines()[0]
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": doc.split("\n## ", 1)[0].strip()},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[cls.severity.value]},
        "properties": {"module": f"rules/{cls.__module__.rsplit('.', 1)[-1]}.py"},
    }


def document(result: LintResult) -> dict:
    index = line_index(result)
    sources = {s.name: s for s in result.sources}
    rules = list(result.rules)
    position = {cls.code: i for i, cls in enumerate(rules)}
    results = []
    for finding in result.findings:
        entry = {
            "ruleId": finding.code,
            "level": LEVELS[finding.severity.value],
            "message": {"text": finding.message if finding.row is None else f"row {finding.row}: {finding.message}"},
            "partialFingerprints": {"prepContent/v1": fingerprint(finding, sources)},
        }
        if finding.code in position:
            entry["ruleIndex"] = position[finding.code]
        source = sources.get(finding.source)
        if source is not None and source.kind != "frame":
            physical: dict = {"artifactLocation": {"uri": PurePath(finding.source).as_posix()}}
            line = line_of(finding, index)
            if line is not None:
                physical["region"] = {"startLine": line}
            entry["locations"] = [{"physicalLocation": physical}]
        if finding.data:
            entry["properties"] = json.loads(json.dumps(finding.data, default=str))
        results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "prep",
                        "version": __version__,
                        "rules": [_rule(cls) for cls in rules],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render(result: LintResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
