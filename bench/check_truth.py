#!/usr/bin/env python
"""Recall and precision of prep's findings against a generated file's ``.truth.json``.

    python bench/check_truth.py /tmp/bench20.jsonl [--model llama3-8b] [--model all]

For each injected category that a rule covers, compares the set of (row[, field][, model]) the rule reported with
the set the truth file expects. Categories with no matching rule in this checkout (near duplicates, PII, ...) are
listed with the rule codes looked for, so the table grows as rules are added.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# category -> (rule codes that should report it, key of a finding, expected keys from the truth file)
CATEGORIES = {
    "exact duplicates": (
        ("DU001",),
        lambda f: f.row,
        lambda t, models: {d["row"] for d in t["exact_duplicates"] + t["accidental_exact_duplicates"]},
    ),
    "conflicting completions (by chance)": (
        ("DU003",),
        lambda f: f.row,
        lambda t, models: {d["row"] for d in t["accidental_conflicting_completions"]},
    ),
    "near duplicates": (
        ("DU002",),
        lambda f: f.row,
        lambda t, models: {d["row"] for d in t["near_duplicates"]},
    ),
    "PII": (
        ("PI001", "PI002", "PI003"),
        lambda f: f.row,
        lambda t, models: {d["row"] for d in t["pii"]},
    ),
    "prompt over budget": (
        ("TK001",),
        lambda f: (f.row, f.data.get("model")),
        lambda t, models: {(d["row"], m) for d in t["over_budget_prompt"] for m in d.get("over_models", []) if m in models},
    ),
    "completion over budget": (
        ("TK002",),
        lambda f: (f.row, f.data.get("model")),
        lambda t, models: {(d["row"], m) for d in t["over_budget_completion"] for m in d.get("over_models", []) if m in models},
    ),
    "broken text": (
        ("TX001",),
        lambda f: (f.row, f.field),
        lambda t, models: {(d["row"], d["field"]) for d in t["broken_text"]},
    ),
    "template tokens": (
        ("TX002",),
        lambda f: (f.row, f.field),
        lambda t, models: {(d["row"], d["field"]) for d in t["template_tokens"]},
    ),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path")
    p.add_argument("--model", action="append", help="base model(s) to lint with (default llama3-8b)")
    args = p.parse_args(argv)
    truth = json.loads(Path(args.path + ".truth.json").read_text(encoding="utf-8"))

    import prep
    from prep.engine.pack import all_rules

    result = prep.lint(args.path, models=args.model or ["llama3-8b"])
    models = {m.name for m in result.models}
    known = {r.code for r in all_rules()}
    print(f"{args.path}: {truth['rows']:,} rows; models: {', '.join(sorted(models))}\n")
    print("| category | rule | expected | reported | recall | precision |")
    print("|---|---|---:|---:|---:|---:|")
    failed = False
    for name, (codes, key, expected_of) in CATEGORIES.items():
        expected = expected_of(truth, models)
        present = [c for c in codes if c in known]
        if not present:
            print(f"| {name} | (no {'/'.join(codes)} rule yet) | {len(expected):,} | - | - | - |")
            continue
        reported = {key(f) for f in result.findings if f.code in present}
        hit = len(expected & reported)
        recall = hit / len(expected) if expected else 1.0
        precision = hit / len(reported) if reported else 1.0
        failed |= recall < 1 or precision < 1
        print(f"| {name} | {'/'.join(present)} | {len(expected):,} | {len(reported):,} | {recall:.3f} | {precision:.3f} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
