"""``--format sarif``: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

One run per log, however many PATHs were linted. One ``reportingDescriptor`` per rule that ran, with its
documentation (summary, full text, help in Markdown, default level); one ``artifact`` per input file (its URI,
length, SHA-256 and media type); one result per finding, pointing at the file and at the line where its record
starts (a finding about a whole file, or a Parquet row, at line 1: GitHub requires ``startLine``, and the message
then names the 1-based row). URIs are relative to the git repository holding the file (``uriBaseId``
``%SRCROOT%``, defined in ``originalUriBaseIds``), as GitHub code scanning expects (see
:mod:`prep.reporters.artifacts`). Two ``partialFingerprints``: ``prepContent/v1``, the baseline's content
fingerprint, which follows a finding when rows are reordered, and ``prepOccurrence/v1``, which adds the file and
the occurrence count, so the same row copied to two places gives two alerts, not one. Levels: error, warning,
and ``note`` for info. Findings about a polars frame (the Python API) have no location.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

from prep import __version__
from prep.engine.run import LintResult
from prep.reporters.artifacts import SRCROOT, file_sha256, locate
from prep.reporters.locations import line_index, line_of
from prep.suppress import fingerprint

LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def _rule(cls) -> dict:
    doc = inspect.getdoc(cls) or cls.name
    summary = " ".join(doc.split("\n\n", 1)[0].split())  # the first paragraph, on one line
    return {
        "id": cls.code,
        "name": cls.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": " ".join(doc.split("\n## ", 1)[0].split())},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[cls.severity.value]},
        "properties": {"module": f"rules/{cls.__module__.rsplit('.', 1)[-1]}.py"},
    }


LINED = ("jsonl", "json", "csv")  # Parquet's "line" is its 1-based row: no line of a text file to point at
MIME_TYPES = {"jsonl": "application/jsonl", "json": "application/json", "csv": "text/csv",
              "parquet": "application/vnd.apache.parquet"}


def document(*results: LintResult) -> dict:
    """One SARIF log with one run holding the findings of every result (several PATHs lint as several results)."""
    rules: list = []
    for result in results:
        rules += [cls for cls in result.rules if cls not in rules]
    position = {cls.code: i for i, cls in enumerate(rules)}
    artifacts: list[dict] = []
    artifact_index: dict[str, int] = {}
    roots: dict[str, str] = {}  # uriBaseId -> root folder
    out = []
    for result in results:
        index = line_index(result)
        sources = {s.name: s for s in result.sources}
        located = {}
        for source in result.sources:
            if source.kind == "frame":
                continue
            where = locate(source.name, source.kind)
            base = None
            if where.root is not None:
                base = next((b for b, r in roots.items() if r == where.root), None)
                if base is None and not roots:
                    base, roots[SRCROOT] = SRCROOT, where.root
                elif base is None:  # files under a second repository: named absolutely
                    where = type(where)(where.name, str(Path(where.root, where.path).as_posix()), None, True)
            location = {"uri": where.uri, **({"uriBaseId": base} if base else {})}
            if where.name not in artifact_index:
                artifact = {"location": dict(location), "roles": ["analysisTarget"]}
                if where.exists:
                    artifact["length"] = Path(where.name).stat().st_size
                    artifact["hashes"] = {"sha-256": file_sha256(where.name)}
                if source.kind in MIME_TYPES:
                    artifact["mimeType"] = MIME_TYPES[source.kind]
                artifact_index[where.name] = len(artifacts)
                artifacts.append(artifact)
            located[source.name] = {**location, "index": artifact_index[where.name]}
        seen: dict[tuple[str, str], int] = {}
        for finding in result.findings:
            content = fingerprint(finding, sources)
            source = sources.get(finding.source)
            line = line_of(finding, index) if source is not None and source.kind in LINED else None
            message = finding.message
            if finding.row is not None and line is None:  # no lines (Parquet): the region cannot say which row
                message = f"row {finding.row + 1}: {message}"
            entry: dict = {"ruleId": finding.code, "level": LEVELS[finding.severity.value], "message": {"text": message}}
            if finding.code in position:
                entry["ruleIndex"] = position[finding.code]
            if source is not None and finding.source in located:
                artifact = located[finding.source]
                entry["locations"] = [{"physicalLocation": {
                    "artifactLocation": artifact,
                    "region": {"startLine": line if line is not None else 1},  # a whole-file finding: its top
                }}]
                place = artifact["uri"]
            else:
                place = finding.source
            # the same row copied twice gives the same content fingerprint: the occurrence one tells them apart
            occurrence = seen[(content, place)] = seen.get((content, place), 0) + 1
            occurrence_key = hashlib.sha256(f"{content}\0{place}\0{occurrence}".encode("utf-8", "surrogatepass"))
            entry["partialFingerprints"] = {"prepContent/v1": content, "prepOccurrence/v1": occurrence_key.hexdigest()[:32]}
            if finding.data:
                entry["properties"] = json.loads(json.dumps(finding.data, default=str))
            out.append(entry)
    run: dict = {
        "tool": {"driver": {"name": "prep", "version": __version__,
                            "rules": [_rule(cls) for cls in rules]}},
    }
    if roots:
        run["originalUriBaseIds"] = {base: {"uri": Path(root).as_uri() + "/"} for base, root in roots.items()}
    run["artifacts"] = artifacts
    run["results"] = out
    run["columnKind"] = "unicodeCodePoints"
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(*results: LintResult) -> str:
    return json.dumps(document(*results), indent=2, ensure_ascii=False) + "\n"
