"""PI001's detections on every dataset in ../shared/data, per entity type, with the default detector: every string
field of every record (prompt, completion and the other columns), through the fast path (prefilter, presidio on
candidates). ``--raw`` turns off the filter of spans that are not personal data (prep/measures/pii/plausible.py),
which gives the figures before issue 17.

    python bench/pii_datasets.py [--raw]
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prep.measures import pii
from prep.measures.pii import detector as detector_module

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = [
    "support_tickets/support_tickets.csv", "alpaca_demo/alpaca_en_demo.json",
    "openai_cookbook/dbpedia_samples_prompt_completion.jsonl", "openai_cookbook/toy_chat_fine_tuning.jsonl",
    "gpteacher_toolformer/toolformer-dedupe-only-dataset.json", "pii_small/generated_small.json",
    "clinc150/clinc150_train.jsonl", "clinc150/clinc150_val.jsonl", "mbpp/mbpp.jsonl",
    "mbpp/mbpp_prompt_completion.jsonl",
]


def strings(value, out):
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            strings(v, out)
    elif isinstance(value, list):
        for v in value:
            strings(v, out)
    return out


def texts(path: Path) -> list[str]:
    if path.suffix == ".csv":
        with path.open(newline="") as f:
            return strings(list(csv.DictReader(f)), [])
    if path.suffix == ".jsonl":
        return strings([json.loads(line) for line in path.open() if line.strip()], [])
    return strings(json.loads(path.read_text()), [])


def main() -> None:
    if "--raw" in sys.argv:
        detector_module.not_personal = lambda *args: False
    detector = pii.Detector(entities=pii.DEFAULT_ENTITIES, thresholds=pii.DEFAULT_THRESHOLDS)
    for name in FILES:
        path = DATA / name
        if not path.exists():
            continue
        values = texts(path)
        found = detector.detect(pl.Series(values, dtype=pl.String), processes=1)
        kinds = Counter(d.entity for detections in found.values() for d in detections)
        print(f"{name}: {len(values)} texts, {len(found)} with PII, spans {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    main()
