#!/usr/bin/env python
"""Peak memory of PREP_LINT and PREP_PREPARE against the size of the table's text, on fakesnow.

    python bench/procs_memory.py [--sizes-mb 20 60 200] [--procedures lint prepare]

For each size: ``bench/generate.py``'s file of that size (generated into /tmp/prep-bench if missing) becomes a
table in a fakesnow server run by this process (``read_json_auto``, so seeding costs no Python rows); then each
procedure's handler runs in a child process of its own, connected to that server over HTTP as Snowpark connects
to Snowflake, with one process for PII detection as inside Snowflake. The child reports its RSS after importing
everything and connecting (the baseline), its peak RSS (``VmHWM``) after the call, and the wall time. Growth is peak minus baseline, against the table's prompt and
completion bytes. The last line extrapolates the growth linearly to 1 GB of text, against a standard warehouse
node's 16 GB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CHILD = r"""
import json, sys, time
sys.path.insert(0, {repo!r})
from snowflake.snowpark import Session
import prep, prep.procs.lint, prep.procs.prepare

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
kwargs = json.loads(sys.argv[1])
session = Session.builder.configs(kwargs).create()
session.sql("USE SCHEMA PREPDB.BENCH").collect()
base = status("VmRSS:")
t0 = time.perf_counter()
if sys.argv[2] == "lint":
    out = prep.procs.lint.run(session, "TICKETS", "llama3-8b", {{}})
else:
    out = prep.procs.prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {{}})
wall = time.perf_counter() - t0
print(json.dumps({{"baseline_mb": base, "peak_mb": status("VmHWM:"), "wall_s": wall, "rows": out.get("rows")}}))
"""


def _generated(size_mb: float) -> Path:
    path = Path(f"/tmp/prep-bench/bench{size_mb:g}.jsonl")
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--size-mb", f"{size_mb:g}",
                        "--out", str(path)], check=True)
    return path


def _text_mb(path: Path) -> float:
    """The prompt and completion bytes (UTF-8) of the file, as the table holds them."""
    import polars as pl

    frame = pl.read_ndjson(path, schema={"prompt": pl.String, "completion": pl.String})
    return float(frame.select(pl.col("prompt").str.len_bytes().sum() + pl.col("completion").str.len_bytes().sum()
                              ).item()) / 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes-mb", type=float, nargs="+", default=[20, 60, 200])
    p.add_argument("--procedures", nargs="+", default=["lint", "prepare"], choices=["lint", "prepare"])
    args = p.parse_args()

    from snowflake.snowpark import Session

    from tests.conftest import fakesnow_server

    logging.getLogger("uvicorn").setLevel(logging.WARNING)  # not a line per query
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    rows = []
    with fakesnow_server() as kwargs:
        kwargs = {**kwargs, "network_timeout": 3600}
        session = Session.builder.configs(kwargs).create()
        session.sql("CREATE DATABASE IF NOT EXISTS PREPDB").collect()
        session.sql("CREATE SCHEMA IF NOT EXISTS PREPDB.BENCH").collect()
        session.sql("USE SCHEMA PREPDB.BENCH").collect()
        for size in args.sizes_mb:
            path = _generated(size)
            session.sql(f"CREATE OR REPLACE TABLE TICKETS AS SELECT prompt, completion FROM read_json_auto('{path}')"
                        ).collect()
            text_mb = _text_mb(path)
            for procedure in args.procedures:
                t0 = time.perf_counter()
                # one process, as inside Snowflake (no PII workers, whose memory VmHWM would not count)
                done = subprocess.run([sys.executable, "-c", CHILD.format(repo=str(REPO)), json.dumps(kwargs),
                                       procedure], capture_output=True, text=True,
                                      env={**os.environ, "PREP_PROCESSES": "1"})
                if done.returncode != 0:
                    print(done.stderr[-3000:], file=sys.stderr)
                    return 1
                out = json.loads(done.stdout.strip().splitlines()[-1])
                growth = out["peak_mb"] - out["baseline_mb"]
                rows.append((procedure, size, text_mb, out, growth, time.perf_counter() - t0))
                print(f"PREP_{procedure.upper()} {text_mb:.1f} MB text: baseline {out['baseline_mb']:.0f} MB, peak "
                      f"{out['peak_mb']:.0f} MB, growth {growth:.0f} MB = {growth / text_mb:.1f}x the text, "
                      f"{out['wall_s']:.1f} s", flush=True)
    print("\n| procedure | text | baseline RSS | peak RSS | growth | growth / text | wall |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for procedure, _, text_mb, out, growth, _ in rows:
        print(f"| PREP_{procedure.upper()} | {text_mb:.1f} MB | {out['baseline_mb']:.0f} MB | {out['peak_mb']:.0f} MB "
              f"| {growth:.0f} MB | {growth / text_mb:.1f}x | {out['wall_s']:.1f} s |")
    for procedure in args.procedures:
        mine = [(t, g) for p_, _, t, _, g, _ in rows if p_ == procedure]
        if len(mine) >= 2:
            (t1, g1), (t2, g2) = mine[0], mine[-1]
            slope = (g2 - g1) / (t2 - t1)
            at_gb = g2 + slope * (1000 - t2)
            print(f"PREP_{procedure.upper()} at 1 GB of text (linear from the two ends): about {at_gb / 1000:.1f} GB of "
                  f"growth ({slope:.1f}x per MB), against a standard warehouse node's 16 GB")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # the fakesnow server leaves a thread behind that keeps a normal exit waiting
