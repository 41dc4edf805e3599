"""Suppressing findings: ``per-source-ignores`` in config, and baselines.

- ``per-source-ignores = {"data/legacy/*.jsonl" = ["DU", "TX001"]}``: findings of those rules (codes, names or
  prefixes) in sources whose path matches the glob are dropped. Globs are relative to the config file's folder
  (without a config file, the working directory), whatever way the path was typed: ``data/legacy/a.jsonl``,
  ``./data/legacy/a.jsonl``, its absolute path, or ``../proj/data/legacy/a.jsonl`` from a sibling folder all
  match. A glob without ``/`` also matches the file name alone; an absolute glob matches the absolute path.
- A baseline (``prep lint --write-baseline FILE``, then ``--baseline FILE``) records the current findings by a
  content fingerprint, not by row index, so reordering or adding rows does not disturb it: a finding about a row
  is fingerprinted by its rule, field and the row's prompt and completion (and, for per-model findings, the
  model); a finding about a whole source by its rule, the source's file name and, where there is one, the model.
  With ``--baseline`` only findings not in the baseline are reported (each entry suppresses as many findings as
  it counts), and entries that no longer match anything are reported as stale.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from prep.dataset import Source
from prep.errors import ConfigError, InputError
from prep.finding import Finding

BASELINE_VERSION = 1


def check_per_source_ignores(table: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    from prep.engine.pack import select

    out = {}
    for pattern, selectors in table.items():
        if isinstance(selectors, str):
            selectors = [selectors]
        if not isinstance(selectors, list) or not all(isinstance(s, str) for s in selectors):
            raise ConfigError(f"{where}: per-source-ignores.\"{pattern}\" must be a list of rule codes, names or prefixes")
        select(selectors, [], f"{where}: per-source-ignores.\"{pattern}\"")
        out[pattern] = tuple(selectors)
    return out


def source_paths(source: str, root: str | Path = "") -> tuple[str, ...]:
    """The forms of ``source`` a ``per-source-ignores`` glob is matched against: relative to ``root`` (when the
    file is under it), absolute, and the file name."""
    absolute = Path(os.path.abspath(source))
    base = Path(os.path.abspath(root or Path.cwd()))
    forms = [absolute.as_posix()]
    try:
        forms.insert(0, absolute.relative_to(base).as_posix())
    except ValueError:
        pass
    return (*forms, absolute.name)


def apply_per_source_ignores(
    findings: Sequence[Finding], table: Mapping[str, Sequence[str]], root: str | Path = ""
) -> list[Finding]:
    if not table:
        return list(findings)
    from prep.engine.pack import all_rules, matches

    rules = {cls.code: cls for cls in all_rules()}
    forms: dict[str, tuple[str, ...]] = {}

    def ignored(finding: Finding) -> bool:
        if finding.source not in forms:
            forms[finding.source] = source_paths(finding.source, root)
        *paths, name = forms[finding.source]
        for pattern, selectors in table.items():
            pattern = pattern.removeprefix("./")
            candidates = paths if "/" in pattern else (*paths, name)
            if any(fnmatch.fnmatchcase(p, pattern) for p in candidates):
                cls = rules.get(finding.code)
                if cls is not None and any(matches(s, cls) for s in selectors):
                    return True
        return False

    return [f for f in findings if not ignored(f)]


def fingerprint(finding: Finding, sources: Mapping[str, Source]) -> str:
    digest = hashlib.sha256()
    parts: list[Any] = [finding.code, finding.field or "", finding.data.get("model") or ""]
    source = sources.get(finding.source)
    if finding.row is not None and source is not None:
        row = source.frame.row(finding.row, named=True) if finding.row < source.frame.height else {}
        problem = re.sub(r"\bline \d+", "line", row.get("problem") or "")  # an unreadable record: no text, no line
        parts += ["row", row.get("prompt"), row.get("completion"), problem]
    else:
        parts += ["source", PurePath(finding.source).name]
    digest.update(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def write_baseline(path: str | Path, findings: Sequence[Finding], sources: Sequence[Source]) -> int:
    by_name = {s.name: s for s in sources}
    counts = Counter(fingerprint(f, by_name) for f in findings)
    examples: dict[str, Finding] = {}
    for f in findings:
        examples.setdefault(fingerprint(f, by_name), f)
    entries = [
        {"fingerprint": fp, "count": n, "code": examples[fp].code, "source": examples[fp].source,
         "row": examples[fp].row, "message": examples[fp].message}
        for fp, n in sorted(counts.items(), key=lambda item: (examples[item[0]].code, item[0]))
    ]
    document = {"schema_version": BASELINE_VERSION, "tool": "prep", "entries": entries}
    try:
        Path(path).write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None
    return len(findings)


@dataclass
class BaselineOutcome:
    findings: list[Finding]
    suppressed: int = 0
    stale: list[dict[str, Any]] = field(default_factory=list)


def apply_baseline(path: str | Path, findings: Sequence[Finding], sources: Sequence[Source]) -> BaselineOutcome:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: baseline file not found (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a prep baseline ({exc})") from None
    if not isinstance(document, dict) or document.get("schema_version") != BASELINE_VERSION:
        raise InputError(f"{path}: not a prep baseline (schema_version {BASELINE_VERSION} expected)")
    budget = {e["fingerprint"]: int(e.get("count", 1)) for e in document.get("entries", [])}
    used: Counter[str] = Counter()
    by_name = {s.name: s for s in sources}
    kept = []
    for finding in findings:
        fp = fingerprint(finding, by_name)
        if used[fp] < budget.get(fp, 0):
            used[fp] += 1
        else:
            kept.append(finding)
    stale = [e for e in document.get("entries", []) if used[e["fingerprint"]] == 0]
    return BaselineOutcome(findings=kept, suppressed=sum(used.values()), stale=stale)
