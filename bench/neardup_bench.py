#!/usr/bin/env python
"""DU002 alone on a whole file: throughput, peak memory, time per stage and recall of injected near duplicates.

    python bench/neardup_bench.py /tmp/bench200.jsonl

A fresh process reads the file and runs DU002 alone on it (no tokenisation, no other rule), and reports wall time
(reading + DU002), MB/s, rows/s, peak RSS, the seconds of each stage DU002 announces (normalising, MinHash
signatures, verifying N candidate pairs), and, when the generator's ``.truth.json`` is beside the file, the recall
of its injected near duplicates (the copy is reported in its original's cluster, or with the original as the kept
row).

The comparison with the plain ``datasketch.MinHash.update`` loop that settled the vectorised signatures is
``bench/notes/neardup-signatures.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
import prep
from prep.config import Settings
from prep.engine import Context, build_rules
stages = []
start = time.perf_counter()
def progress(message):
    stages.append((time.perf_counter() - start, message))
settings = Settings(models=("llama3-8b",), select=("DU002",))
t0 = time.perf_counter()
progress("read")
source = prep.load({path!r}, settings)
read_s = time.perf_counter() - t0
progress("setup (rules)")
(rule,) = build_rules(settings)
ctx = Context([source], [], settings, progress)
t1 = time.perf_counter()
findings = list(rule.check(ctx))
rule_s = time.perf_counter() - t1
end_s = time.perf_counter() - start
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:"))
print(json.dumps({{
    "read_s": read_s, "rule_s": rule_s, "wall_s": read_s + rule_s, "peak_rss_mb": rss,
    "rows": source.n_records, "stages": stages, "end_s": end_s,
    "findings": [[f.row, f.data.get("cluster"), f.data.get("kept_row"), f.data.get("suspicious")] for f in findings],
}}))
"""


def measure(path: str) -> dict:
    code = CHILD.format(repo=str(REPO), path=path)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    mb = os.path.getsize(path) / 1e6
    summary = {
        "file_mb": round(mb, 1),
        "rows": out["rows"],
        "wall_s": round(out["wall_s"], 1),
        "read_s": round(out["read_s"], 1),
        "du002_s": round(out["rule_s"], 1),
        "mb_per_s": round(mb / out["wall_s"], 2),
        "rows_per_s": round(out["rows"] / out["wall_s"]),
        "peak_rss_mb": round(out["peak_rss_mb"]),
        "extrapolated_1gb_s": round(out["wall_s"] * 1000 / mb),
        "near_duplicate_findings": len(out["findings"]),
        "suspicious_clusters": sum(1 for f in out["findings"] if f[3]),
    }
    stages = out["stages"] + [(out["end_s"], "end")]
    summary["stages"] = {stages[i][1]: round(stages[i + 1][0] - stages[i][0], 2) for i in range(len(stages) - 1)}
    truth_path = Path(path + ".truth.json")
    if truth_path.exists():
        truth = json.loads(truth_path.read_text())
        cluster = {row: c for row, c, _, s in out["findings"] if not s}
        kept = {c: k for _, c, k, s in out["findings"] if not s}
        injected = truth["near_duplicates"]
        hit = 0
        for item in injected:
            c = cluster.get(item["row"])
            if c is not None and (cluster.get(item["original"]) == c or kept.get(c) == item["original"]):
                hit += 1
        summary["injected_near_duplicates"] = len(injected)
        summary["recall_injected"] = round(hit / len(injected), 4) if injected else None
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", help="a generated file (bench/generate.py), or any prompt/completion file")
    args = parser.parse_args()
    print(json.dumps(measure(str(Path(args.path).resolve())), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
