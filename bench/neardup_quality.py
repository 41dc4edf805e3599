#!/usr/bin/env python
"""Detection quality of DU002 on real text: alpaca rows plus copies with 1% to 10% of their words edited.

    python bench/neardup_quality.py [--seeds 7 11 13] [--copies 300]

Prints, per seed: recall of the injected copies (the copy is reported in the cluster of its original, or with the
original as the kept row), findings on the original alpaca rows (distinct rows flagged), and how many reported
pairs fall below the threshold when re-checked with plain Python sets of word bigrams (must be 0). The injection
and the plain re-check are the same functions as in tests/test_minhash.py. Needs ../shared/data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import polars as pl  # noqa: E402

import prep  # noqa: E402
from prep.config import Settings  # noqa: E402
from tests.test_minhash import injected, plain_jaccard, reference_shingles  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 13])
    parser.add_argument("--copies", type=int, default=300)
    args = parser.parse_args()
    for seed in args.seeds:
        records, pairs = injected(args.copies, seed)
        result = prep.lint(pl.DataFrame(records), settings=Settings(models=("llama3-8b",), select=("DU002",)))
        findings = [f for f in result.findings if f.code == "DU002"]
        cluster = {f.row: f.data["cluster"] for f in findings}
        kept = {f.data["cluster"]: f.data["kept_row"] for f in findings}
        found = sum(
            1 for o, c in pairs if cluster.get(c) is not None and (cluster.get(o) == cluster[c] or kept[cluster[c]] == o)
        )
        below = 0
        for f in findings:
            a, b = records[f.row], records[f.data["matched_row"]]
            if plain_jaccard(reference_shingles(a["prompt"], a["completion"]), reference_shingles(b["prompt"], b["completion"])) < 0.6:
                below += 1
        originals = sum(1 for f in findings if f.row < len(records) - len(pairs))
        print(
            f"seed {seed}: recall {found}/{len(pairs)} = {found / len(pairs):.3f}; findings {len(findings)}; "
            f"findings on original rows {originals}; reported pairs below the threshold on a plain re-check {below}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
