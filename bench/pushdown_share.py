"""What pushing PII and token counts into the warehouse leaves to the procedure: one run's CPU time in this
process, with nothing given, with token counts given, and with token counts and PII detections given, as
procs/pushdown.py gives them (the counts of rows over the lowest budget less the margin; the rows' detections).

The measures given are computed first by the UDF handlers themselves (``prep.procs.udfs.token_count`` and
``prep.procs.udfs.pii`` on batches of 4,096 rows, as Snowflake calls them): their CPU time is what the warehouse
spends, spread over its nodes. The findings of the three runs are compared: they must be identical.

    python bench/pushdown_share.py /tmp/prep-bench/bench200.jsonl --model llama3-8b

Run alone (PREP_PROCESSES=1 is set: a procedure has one process).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ["PREP_PROCESSES"] = "1"

import pandas as pd  # noqa: E402
import polars as pl  # noqa: E402
from prep.procs import udfs  # noqa: E402
from prep.procs.pushdown import give_measures  # noqa: E402

import prep  # noqa: E402
from prep.catalog import load_catalog  # noqa: E402
from prep.dataset import TEXT_FIELDS  # noqa: E402
from prep.measures.pii.masking import Detection  # noqa: E402
from prep.measures.tokens import lowest_over  # noqa: E402

BATCH = udfs.MAX_BATCH_ROWS


def _cpu() -> float:
    return time.process_time()


def _batches(texts: pl.Series):
    for lo in range(0, len(texts), BATCH):
        yield texts.slice(lo, BATCH).to_pandas()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--model", default="llama3-8b")
    args = parser.parse_args()
    settings = prep.Settings(models=[args.model])
    frame = pl.read_ndjson(args.path).select(TEXT_FIELDS)
    size = frame.select(pl.col("prompt").str.len_bytes().sum() + pl.col("completion").str.len_bytes().sum()).item()
    spec = load_catalog(None)[args.model]

    start = _cpu()
    counts = {}
    for field in TEXT_FIELDS:
        values = []
        for text in _batches(frame[field]):
            batch = pd.DataFrame({0: pd.Series([args.model] * len(text), dtype=object), 1: text})
            values.extend(udfs.token_count(batch).tolist())
        above = lowest_over([spec], settings.margin, field, spec.tokenizer)
        counted = pl.DataFrame({"row": range(frame.height), "tokens": pl.Series(values, dtype=pl.Int64)})
        counts[(field, spec.tokenizer)] = counted.filter(pl.col("tokens") > above)
    token_cpu = _cpu() - start

    start = _cpu()
    found: dict[str, dict[int, list[Detection]]] = {}
    for field in TEXT_FIELDS:
        found[field], row = {}, 0
        for text in _batches(frame[field]):
            for k, value in enumerate(udfs.pii(pd.DataFrame({0: text})).tolist()):
                if value:
                    found[field][row + k] = [Detection(d["entity"], d["start"], d["end"], d["score"], d["masked"])
                                             for d in value]
            row += len(text)
    pii_cpu = _cpu() - start

    runs = {}
    for name, given in (("nothing given", None), ("token counts given", give_measures(None, counts)),
                        ("counts and PII given", give_measures(found, counts))):
        start, wall = _cpu(), time.perf_counter()
        result = prep.lint(prep.load(frame, settings, name="bench"), settings=settings, given=given)
        runs[name] = (_cpu() - start, time.perf_counter() - wall, [f.to_dict() for f in result.findings])

    mb = size / 1e6
    print(f"{args.path}: {frame.height:,} rows, {mb:.1f} MB of text, {args.model}")
    print(f"warehouse side (the handlers, CPU s): PREP_TOKEN_COUNT {token_cpu:.1f}, PREP_PII {pii_cpu:.1f}")
    base = runs["nothing given"][0]
    for name, (cpu, wall, findings) in runs.items():
        same = "same findings" if findings == runs["nothing given"][2] else "FINDINGS DIFFER"
        print(f"procedure, {name}: {cpu:.1f} CPU s ({cpu / base:.0%}), {wall:.1f} s wall, {len(findings):,} "
              f"findings, {same}")


if __name__ == "__main__":
    main()
