#!/usr/bin/env python
"""PI001's detection quality per entity type, at row level, on labelled data.

    python bench/pii_quality.py [--data ../shared/data/pii_small/generated_small.json] [--bench /tmp/bench50.jsonl] [--raw]

On presidio-research's ``generated_small.json`` (100 synthetic sentences with labelled spans): for each entity
type PI001 checks by default, a row is a positive when it has a labelled span of that type, and a detection when
PI001 reports that type in it. Prints recall and precision per type, then every false positive and false negative
with its context, so that each can be explained. Values here are fake identities from a public test set.

With ``--bench``, also the recall of the generator's injected PII (bench/generate.py's ``.truth.json``) on the
texts that hold it, per kind, and the share of plain rows (no injected PII) with a detection.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from prep.rules.pi001_pii_detected import PiiDetected

DEFAULT_DATA = REPO.parent / "shared" / "data" / "pii_small" / "generated_small.json"


def snippet(text: str, start: int, end: int, width: int = 30) -> str:
    left = text[max(0, start - width) : start].replace("\n", " ")
    right = text[end : end + width].replace("\n", " ")
    return f"...{left}«{text[start:end]}»{right}..."


def small(path: Path) -> None:
    detector = PiiDetected().detector()
    records = json.loads(path.read_text(encoding="utf-8"))
    texts = [r["full_text"] for r in records]
    found = detector.detect(pl.Series(texts), processes=1)
    print(f"{path.name}: {len(records)} rows; entity types {', '.join(detector.entities)}")
    print(f"{'type':<15} {'rows':>5} {'TP':>4} {'FP':>4} {'FN':>4} {'recall':>7} {'precision':>9}")
    errors = []
    for entity in detector.entities:
        tp = fp = fn = positives = 0
        for i, record in enumerate(records):
            truth = [s for s in record["spans"] if s["entity_type"] == entity]
            hits = [d for d in found.get(i, []) if d.entity == entity]
            positives += bool(truth)
            if truth and hits:
                tp += 1
            elif hits:
                fp += 1
                errors += [("FP", entity, snippet(texts[i], d.start, d.end), d.score) for d in hits]
            elif truth:
                fn += 1
                errors += [("FN", entity, snippet(texts[i], s["start_position"], s["end_position"]), None) for s in truth]
        recall = f"{tp / positives:.2f}" if positives else "n/a"
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "n/a"
        print(f"{entity:<15} {positives:>5} {tp:>4} {fp:>4} {fn:>4} {recall:>7} {precision:>9}")
    for kind, entity, context, score in errors:
        print(f"  {kind} {entity:<13} {'' if score is None else f'score {score}'} {context}")
    other = Counter(s["entity_type"] for r in records for s in r["spans"] if s["entity_type"] not in detector.entities)
    print(f"labelled types not checked by default: {dict(other.most_common())}")


TRUTH_TO_ENTITY = {"credit_card": "CREDIT_CARD", "email": "EMAIL_ADDRESS", "iban": "IBAN_CODE", "ipv4": "IP_ADDRESS",
                   "phone": "PHONE_NUMBER", "ssn": "US_SSN", "person": "PERSON"}


def bench(path: Path) -> None:
    truth = json.loads(Path(str(path) + ".truth.json").read_text(encoding="utf-8"))
    frame = pl.read_ndjson(path)
    detector = PiiDetected().detector()
    n = frame.height
    found = detector.detect(pl.concat([frame["prompt"], frame["completion"]]))
    types = {(i % n, "prompt" if i < n else "completion"): {d.entity for d in ds} for i, ds in found.items()}
    totals, hits = Counter(), Counter()
    injected = set()
    for item in truth["pii"]:
        key = (item["row"], item["field"])
        injected.add(key)
        for value in item["entities"]:
            totals[value["type"]] += 1
            hits[value["type"]] += TRUTH_TO_ENTITY[value["type"]] in types.get(key, set())
    print(f"{path.name}: recall of injected PII per kind (the text holding it is reported with that type)")
    for kind in sorted(totals):
        note = "  (PERSON needs a spaCy NER model: not checked by default)" if kind == "person" else ""
        print(f"  {kind:<12} {hits[kind]:>6}/{totals[kind]:<6} {hits[kind] / totals[kind]:.3f}{note}")
    plain = 2 * n - len(injected)
    flagged = [key for key in types if key not in injected]
    print(f"texts without injected PII that have a detection: {len(flagged)}/{plain} ({len(flagged) / plain:.4%})")
    for row, field in flagged[:10]:
        text = frame[row, field]
        for d in found[row if field == "prompt" else row + n]:
            print(f"  row {row} {field}: {d.entity} {snippet(text, d.start, d.end)}")


def generated() -> None:
    """Row recall and false-positive rows on the seeded labelled set of tests/test_pii_recall.py (cards of every
    issuer range, phone formats, and as many negatives), prep's detector against presidio's own recognizer."""
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        PhoneRecognizer,
    )

    from prep.measures.pii.prefilter import PHONE_REGIONS
    from tests.test_pii_recall import (
        _ours,
        _presidios,
        _row_counts,
        card_rows,
        phone_rows,
    )

    print("generated labelled set (tests/test_pii_recall.py, seed 17): row recall, false-positive rows")
    for entity, rows, recognizer, threshold in [
        ("CREDIT_CARD", card_rows(), CreditCardRecognizer(), 0.5),
        ("PHONE_NUMBER", phone_rows(), PhoneRecognizer(supported_regions=PHONE_REGIONS), 0.4),
    ]:
        positives = sum(truth for _, truth in rows)
        recall, fp = _row_counts(_ours(rows, entity), rows)
        base_recall, base_fp = _row_counts(_presidios(rows, recognizer, entity, threshold), rows)
        print(f"  {entity:<13} {positives} positive / {len(rows) - positives} negative rows: prep recall {recall:.3f} "
              f"FP rows {fp}; presidio's recognizer recall {base_recall:.3f} FP rows {base_fp}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--bench", type=Path, default=None)
    parser.add_argument("--raw", action="store_true",
                        help="keep the spans prep/measures/pii/plausible.py drops (the figures before issue 17)")
    args = parser.parse_args()
    if args.raw:
        from prep.measures.pii import detector as detector_module

        detector_module.not_personal = lambda *a: False
    if not args.data.exists():
        print(f"{args.data} not found (needs ../shared/data)", file=sys.stderr)
        return 2
    small(args.data)
    generated()
    if args.bench:
        bench(args.bench)
    return 0


if __name__ == "__main__":
    sys.exit(main())
