#!/usr/bin/env python
"""PII detection (PI001): prep's fast path against presidio on every row, on the same texts in one run.

    python bench/generate.py --size-mb 50 --out /tmp/bench50.jsonl     # 5% of rows hold fake PII
    python bench/pii_bench.py /tmp/bench50.jsonl [--rows N] [--processes 2] [--json out.json]

Both paths use PI001's default configuration (entity types, per-type minimum scores, phone regions, blank spaCy
pipeline) on every prompt and every completion of the file (or of its first ``--rows`` rows):

- **reference**: ``Detector.analyze`` on each text, one process: presidio's ``AnalyzerEngine.analyze`` with the
  stock PhoneRecognizer on the whole text, which is "running the analyzer on every row" (both paths include
  prep's added recognizers, ``prep/measures/pii/recognizers.py``, and drop the spans that are not personal data,
  ``prep/measures/pii/plausible.py``; the prefilter must let through every text the added recognizers match);
- **prep**: ``Detector.detect`` on the whole column: the polars prefilter picks candidate texts and, for each, the
  entity types it could hold; only those go to presidio (with the windowed phone recognizer), on two processes.

The detections (entity type, span, score, masked value) must be identical; the script exits with 1 if not.
Reported: wall time of each path, MB/s, the speed-up, the prefilter's candidate share, detections per type, and
the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from prep.rules.pi001_pii_detected import PiiDetected  # noqa: E402

import prep  # noqa: E402
from prep.config import Settings  # noqa: E402
from prep.measures.pii import analyzer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="a JSONL/JSON/CSV/Parquet file with prompt and completion")
    parser.add_argument("--rows", type=int, default=None, help="only the first N rows")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()

    source = prep.load(args.input, Settings())
    frame = source.frame if args.rows is None else source.frame.head(args.rows)
    texts = pl.concat([frame["prompt"], frame["completion"]]).fill_null("")
    n_bytes = int(texts.str.len_bytes().sum())
    detector = PiiDetected().detector()
    print(f"{args.input}: {frame.height:,} rows, {len(texts):,} texts, {n_bytes / 1e6:.1f} MB")
    print(f"entity types: {', '.join(f'{e} >= {detector.min_score(e)}' for e in detector.entities)}")
    print(f"phone regions: {' '.join(detector.phone_regions)}")

    t0 = time.perf_counter()
    analyzer(detector.spacy_model, detector.phone_regions, False)
    analyzer(detector.spacy_model, detector.phone_regions, True)
    load = time.perf_counter() - t0

    t0 = time.perf_counter()
    candidates = detector.candidates(texts)
    prefilter = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast = detector.detect(texts, processes=args.processes)
    fast_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    reference = {}
    for i, text in enumerate(texts.to_list()):
        found = detector.analyze(text)
        if found:
            reference[i] = found
    ref_s = time.perf_counter() - t0

    same = fast == reference
    by_type = Counter(d.entity for found in reference.values() for d in found)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "input": str(args.input),
        "rows": frame.height,
        "texts": len(texts),
        "megabytes": n_bytes / 1e6,
        "analyzer_load_s": load,
        "prefilter_s": prefilter,
        "candidate_texts": int(candidates.any(axis=1).sum()),
        "candidate_share_by_type": {e: float(candidates[:, k].mean()) for k, e in enumerate(detector.entities)},
        "prep_s": fast_s,
        "reference_s": ref_s,
        "speedup": ref_s / fast_s,
        "texts_with_pii": len(reference),
        "detections_by_type": dict(by_type.most_common()),
        "identical": same,
        "peak_rss_mb": peak_mb,
        "processes": args.processes,
    }
    print(f"analyzers loaded in {load:.1f} s; prefilter {prefilter:.2f} s over the column")
    print(f"candidate texts: {figures['candidate_texts']:,} of {len(texts):,} "
          f"({figures['candidate_texts'] / max(len(texts), 1):.1%})")
    rows = [
        ("reference: presidio on every text, 1 process", ref_s),
        (f"prep: prefilter + routed presidio, {args.processes} processes", fast_s),
    ]
    for name, seconds in rows:
        print(f"  {name:<52} {seconds:8.1f} s  {n_bytes / 1e6 / seconds:7.2f} MB/s  {len(texts) / seconds:9,.0f} texts/s")
    print(f"speed-up: {ref_s / fast_s:.1f}x; identical detections: {same} "
          f"({len(reference):,} texts with PII: {', '.join(f'{k} {v}' for k, v in by_type.most_common())})")
    print(f"peak RSS of this process: {peak_mb:,.0f} MB")
    if not same:
        only_ref = sorted(set(reference) - set(fast))[:5]
        only_fast = sorted(set(fast) - set(reference))[:5]
        differ = [i for i in set(fast) & set(reference) if fast[i] != reference[i]][:5]
        print(f"DIFFERENT: only in reference {only_ref}, only in prep {only_fast}, different {differ}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
