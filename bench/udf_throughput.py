#!/usr/bin/env python
"""The vectorized UDF handlers' throughput per core, on batches as Snowflake hands them over.

    python bench/udf_throughput.py [--file /tmp/prep-bench/bench200.jsonl] [--mb 20] [--batch-rows 4096]

Reads the first ``--mb`` MB of prompts and completions (``bench/generate.py``'s file by default), cuts them into
pandas batches of ``--batch-rows`` rows (the argument columns 0, 1, ...), and calls each handler of procs/udfs.py
on every batch in this process: the first batch apart (it loads the tokenizer or presidio), then the rest. A
handler's figure is MB of text per CPU second (user + system time of this process, so a handler that uses two
threads is not counted twice as fast), and the peak RSS growth over the batches.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402
from prep.procs import udfs  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def texts_of(path: Path, megabytes: float) -> list[str]:
    out, size = [], 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            for key in ("prompt", "completion"):
                value = record.get(key)
                if isinstance(value, str):
                    out.append(value)
                    size += len(value.encode("utf-8"))
            if size >= megabytes * 1e6:
                break
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", default="/tmp/prep-bench/bench200.jsonl")
    p.add_argument("--mb", type=float, default=20)
    p.add_argument("--batch-rows", type=int, default=udfs.MAX_BATCH_ROWS)
    args = p.parse_args()
    texts = texts_of(Path(args.file), args.mb)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    chunks = [texts[i:i + args.batch_rows] for i in range(0, len(texts), args.batch_rows)]
    if len(chunks) < 2:
        print(f"udf_throughput: {megabytes:.1f} MB make {len(chunks)} batch; ask for more --mb or fewer --batch-rows",
              file=sys.stderr)
        return 2
    handlers = {
        "PREP_TOKEN_COUNT (llama3-8b)": lambda c: udfs.token_count(
            pd.DataFrame({0: ["llama3-8b"] * len(c), 1: pd.Series(c, dtype=object)})),
        "PREP_TOKEN_COUNT (mistral-7b)": lambda c: udfs.token_count(
            pd.DataFrame({0: ["mistral-7b"] * len(c), 1: pd.Series(c, dtype=object)})),
        "PREP_TEXT_FLAGS": lambda c: udfs.text_flags(pd.DataFrame({0: pd.Series(c, dtype=object)})),
        "PREP_PII": lambda c: udfs.pii(pd.DataFrame({0: pd.Series(c, dtype=object)})),
    }
    print(f"{len(texts):,} texts, {megabytes:.1f} MB, {len(chunks)} batches of up to {args.batch_rows} rows")
    print("| handler | first batch (load) | MB per CPU second | wall s | CPU s | RSS growth over the batches |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, call in handlers.items():
        t0 = time.perf_counter()
        call(chunks[0])
        first = time.perf_counter() - t0
        rss0, c0, w0 = _rss_mb(), _cpu(), time.perf_counter()
        peak = rss0
        for chunk in chunks[1:]:
            call(chunk)
            peak = max(peak, _rss_mb())
        cpu, wall = _cpu() - c0, time.perf_counter() - w0
        rest_mb = megabytes * (len(texts) - len(chunks[0])) / len(texts)
        print(f"| {name} | {first:.2f} s | {rest_mb / cpu:.2f} | {wall:.1f} | {cpu:.1f} | {peak - rss0:.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
