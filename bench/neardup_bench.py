#!/usr/bin/env python
"""Near-duplicate detection (DU002): the vectorised signature path against the plain datasketch loop, and the
whole rule's throughput and peak memory.

    python bench/neardup_bench.py /tmp/bench200.jsonl [--sample-rows 20000] [--skip-full]

Part 1, on the first ``--sample-rows`` text rows of the file, in one process:

- **datasketch loop**: ``MinHash(num_perm=128, seed=1)`` and ``update(shingle.encode())`` for each word-bigram
  string of each row (datasketch's default SHA-1 hash): the plain way to use the library;
- **datasketch loop, prep's hash**: the same loop with ``hashfunc`` returning prep's 32-bit shingle hash, whose
  signatures must equal prep's bit for bit;
- **prep**: ``prep.measures.minhash.signatures`` over the whole sample (numpy, two threads).

Both signature sets then go through the same LSH banding and exact verification, and the verified pairs are
compared: the detections must be the same. (The boilerplate filter is off in part 1, so that all three paths see
the same shingles.)

Part 2 reads the whole file and runs DU002 alone on it (no tokenisation, no other rule) in a fresh process, and
reports wall time (reading + DU002), MB/s, rows/s and peak RSS, plus recall of the generator's injected near
duplicates when a ``.truth.json`` is beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import prep  # noqa: E402
import prep.measures.minhash as mh  # noqa: E402


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def sample_frame(path: str, rows: int) -> pl.DataFrame:
    source = prep.load(path, prep.Settings())
    return source.pair_rows().head(rows)


def detections(signature: np.ndarray, fp: mh.Fingerprints, config: mh.NearDupConfig) -> dict[tuple[int, int], float]:
    entries = fp.searchable()
    pairs = mh.candidate_pairs(signature, entries, config)
    involved = np.unique(pairs)
    table = mh.shingle_table(fp.text.gather(involved), config, fp.boilerplate)
    x, y = np.searchsorted(involved, pairs[:, 0]), np.searchsorted(involved, pairs[:, 1])
    full, content = mh.pair_similarities(table, table, x, y)
    ok = mh.near_duplicate_pairs(full, content, config.threshold)
    return {(int(a), int(b)): float(v) for (a, b), v in zip(pairs[ok], full[ok])}


def part1(path: str, rows: int) -> dict:
    from datasketch import MinHash

    config = mh.NearDupConfig(boilerplate_share=0.0)
    frame = sample_frame(path, rows)
    fp = mh.signatures_of(frame, config)  # also warms polars and the permutations
    entries = fp.searchable()
    texts = fp.text.gather(entries)
    mb = sum(len(t.encode()) for t in texts.to_list()) / 1e6
    # The shingles as strings and as prep's hashes, prepared outside the timed parts.
    words = [t.split(" ") for t in texts.to_list()]
    shingle_strings = [
        [" ".join(w[i : i + config.ngram]) for i in range(max(1, len(w) - config.ngram + 1))] for w in words
    ]
    owner, h64 = mh.shingles(texts, config.ngram)
    bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1], True])
    hashes32 = [mh.to_hash32(h64[lo:hi]).tolist() for lo, hi in zip(bounds[:-1], bounds[1:])]
    n_shingles = len(h64)

    start = time.perf_counter()
    plain = np.empty((len(entries), config.num_perm), dtype=np.uint32)
    for i, strings in enumerate(shingle_strings):
        m = MinHash(num_perm=config.num_perm, seed=config.seed)
        for s in strings:
            m.update(s.encode("utf-8"))
        plain[i] = m.hashvalues
    t_plain = time.perf_counter() - start

    start = time.perf_counter()
    same_hash = np.empty((len(entries), config.num_perm), dtype=np.uint32)
    for i, values in enumerate(hashes32):
        m = MinHash(num_perm=config.num_perm, seed=config.seed, hashfunc=lambda v: v)
        for v in values:
            m.update(v)
        same_hash[i] = m.hashvalues
    t_same = time.perf_counter() - start

    start = time.perf_counter()
    ours = mh.signatures(owner, h64, len(entries), config)
    t_ours = time.perf_counter() - start

    full = np.full((len(fp.rows), config.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    results = {}
    for name, sig in (("prep", ours), ("datasketch_prep_hash", same_hash), ("datasketch", plain)):
        full[entries] = sig
        results[name] = detections(full, fp, config)
    ours_found, theirs = results["prep"], results["datasketch"]
    differing = sorted({**ours_found, **theirs}[p] for p in set(ours_found) ^ set(theirs))
    return {
        "rows": len(entries),
        "mb": round(mb, 2),
        "shingles": n_shingles,
        "datasketch_loop_s": round(t_plain, 2),
        "datasketch_loop_prep_hash_s": round(t_same, 2),
        "prep_vectorised_s": round(t_ours, 3),
        "speedup_vs_datasketch_loop": round(t_plain / t_ours, 1),
        "prep_signatures_equal_datasketch_with_prep_hash": bool((ours == same_hash).all()),
        "same_detections_as_datasketch_with_prep_hash": results["prep"] == results["datasketch_prep_hash"],
        "verified_pairs_prep": len(ours_found),
        "verified_pairs_datasketch_sha1": len(theirs),
        "found_by_both": len(set(ours_found) & set(theirs)),
        "only_prep": len(set(ours_found) - set(theirs)),
        "only_datasketch_sha1": len(set(theirs) - set(ours_found)),
        "similarity_of_pairs_found_by_one_only": [round(v, 3) for v in differing],
        "lsh_candidate_probability_at_threshold": round(
            mh.candidate_probability(config.threshold, config.bands, config.band_rows), 3
        ),
    }


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
(rule,) = build_rules(settings)
ctx = Context([source], [], settings, progress)
t1 = time.perf_counter()
findings = list(rule.check(ctx))
rule_s = time.perf_counter() - t1
with open("/proc/self/status") as status:
    rss = next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM:"))
print(json.dumps({{
    "read_s": read_s, "rule_s": rule_s, "wall_s": read_s + rule_s, "peak_rss_mb": rss,
    "rows": source.n_records, "stages": stages,
    "findings": [[f.row, f.data.get("cluster"), f.data.get("kept_row"), f.data.get("suspicious")] for f in findings],
}}))
"""


def part2(path: str) -> dict:
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
    stages = out["stages"] + [(out["wall_s"], "end")]
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
    parser.add_argument("path")
    parser.add_argument("--sample-rows", type=int, default=20_000, help="rows for part 1; 0 skips it")
    parser.add_argument("--skip-full", action="store_true", help="only part 1")
    args = parser.parse_args()
    if args.sample_rows > 0:
        print("## Part 1: signatures, prep vs the plain datasketch loop (same rows, one process)")
        print(json.dumps(part1(args.path, args.sample_rows), indent=2))
    if not args.skip_full:
        print("## Part 2: DU002 on the whole file (fresh process)")
        print(json.dumps(part2(args.path), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
