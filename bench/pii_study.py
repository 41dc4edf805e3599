"""What presidio-analyzer finds offline, how often it is wrong, how fast it is, and which polars prefilters are safe.

A research script (nothing in prep imports it). It builds presidio's AnalyzerEngine with no network and no spaCy
model (a blank English pipeline: tokenizer only), then measures per entity type:

1. recall / precision per row on presidio-research's synthetic ``generated_small.json`` at score thresholds 0, 0.3
   and 0.5, and lists every false positive with its context (the data is synthetic, values may be printed);
2. findings on texts that hold no PII (support-ticket requests, alpaca outputs, plain rows of a ``bench/generate.py``
   file) and recall on that file's injected PII rows, with which presidio types hit each injected kind;
3. speed: ``AnalyzerEngine.analyze`` row by row, ``BatchAnalyzerEngine``, and the time per recognizer;
4. a necessary-condition regular expression per entity type (Rust regex syntax, for polars ``str.contains``),
   derived from the recognizers' own patterns and from phonenumbers' matcher, checked on every analysed text and on
   hand-made edge cases: a text that presidio flags with a type must match that type's prefilter.

    python bench/generate.py --size-mb 100 --out /tmp/bench100.jsonl      # if not there yet
    python bench/pii_study.py --bench /tmp/bench100.jsonl --json /tmp/pii_study.json

Needs presidio-analyzer and spacy (no spaCy model), polars, and ../shared/data (pii_small, support_tickets,
alpaca_demo). Every socket connect and DNS look-up raises: the run proves it needs no network.
"""

from __future__ import annotations

# --- no network: installed before anything else is imported -------------------------------------------------------
import os
import socket
import tempfile

NETWORK_ATTEMPTS: list[str] = []


def _blocked(kind):
    def refuse(*args, **kwargs):
        NETWORK_ATTEMPTS.append(f"{kind} {args[1:2] if kind == 'connect' else args[:1]}")
        raise OSError(f"network disabled in pii_study ({kind})")

    return refuse


socket.socket.connect = _blocked("connect")
socket.socket.connect_ex = _blocked("connect")
socket.create_connection = _blocked("create_connection")
socket.getaddrinfo = _blocked("getaddrinfo")
# An empty tldextract cache: if anything still used tldextract's default extractor, it would try to download the
# public-suffix list, and the attempt would be recorded above instead of being served from an old cache.
os.environ["TLDEXTRACT_CACHE"] = tempfile.mkdtemp(prefix="pii_study_tldextract_")

import argparse
import csv
import json
import logging
import re
import sys
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
THRESHOLDS = (0.0, 0.3, 0.5)
LANG = "en"

# --- labels ---------------------------------------------------------------------------------------------------------
# generated_small.json labels -> presidio entity types (presidio-research maps ADDRESS to LOCATION and DOMAIN_NAME to
# URL; TITLE has no presidio entity).
SMALL_MAP = {
    "PERSON": "PERSON", "ADDRESS": "LOCATION", "LOCATION": "LOCATION", "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD", "ORGANIZATION": "ORGANIZATION", "TITLE": None, "DATE_TIME": "DATE_TIME",
    "DOMAIN_NAME": "URL", "US_SSN": "US_SSN", "IP_ADDRESS": "IP_ADDRESS", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "US_DRIVER_LICENSE": "US_DRIVER_LICENSE",
}
# bench/generate.py truth kinds -> presidio entity types
BENCH_MAP = {
    "email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "credit_card": "CREDIT_CARD", "ssn": "US_SSN",
    "iban": "IBAN_CODE", "ipv4": "IP_ADDRESS", "person": "PERSON",
}

# --- prefilters ------------------------------------------------------------------------------------------------------
# One necessary condition per entity type, Rust regex syntax (polars str.contains), no lookaround, no backreference.
# Each is the recognizer's own pattern with its boundaries, lookarounds and validators dropped (so it can only match
# more), under presidio's global flags (IGNORECASE: letters are matched case-insensitively everywhere).
# phonenumbers' matcher (leniency VALID, regions US GB DE FR IL IN CA BR): a number is digit blocks separated by at
# most 4 characters of its punctuation class (which includes the letter x); every valid number has >= 6 digits except
# German numbers written nationally, whose 4- and 5-digit valid forms are exactly 0?16[489]\d\d? (checked by brute
# force over all 4- and 5-digit strings). N is a non-ASCII decimal digit (phonenumbers reads any Unicode digit).
_PH_SEP = (r"[\-xX\x{2010}-\x{2015}\x{2212}\x{30FC}\x{FF0D}-\x{FF0F} \x{A0}\x{AD}\x{200B}\x{2060}\x{3000}()"
           r"\x{FF08}\x{FF09}\x{FF3B}\x{FF3D}.\[\]/~\x{2053}\x{223C}\x{FF5E}]{0,4}")
_N = r"[\d&&[^0-9]]"
# phonenumbers (leniency >= VALID) rejects a number whose first character is a digit preceded by a Latin letter, unless
# it starts with one of its lead characters ( [ （ ［ + ＋ (then up to 9 more non-digits may come before the digits).
_PH_START = r"(?:^|[^A-Za-z]|[(\[\x{FF08}\x{FF3B}+\x{FF0B}]\D{0,9})"
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
PREFILTERS_ANY_SCORE: dict[str, str] = {
    "EMAIL_ADDRESS": r"[\w!#$%&'*+/=?^`{|}~-]@\w[\w-]*\.\w",
    "PHONE_NUMBER": rf"{_PH_START}(?:\d(?:{_PH_SEP}\d){{5}}|[1{_N}]{_PH_SEP}[6{_N}]{_PH_SEP}[489{_N}]{_PH_SEP}\d)",
    "CREDIT_CARD": r"[13456]\d{3}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}",
    "US_SSN": r"[0-9]{5}-[0-9]{4}|[0-9]{3}-[0-9]{6}|[0-9]{9}|[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}",
    "IBAN_CODE": r"(?i)[a-z]{2}[0-9]{2}(?:[ -]?[a-z0-9]{4}){2}",
    "IP_ADDRESS": r"(?i)[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|::|(?:[0-9a-f]{1,4}:){7}[0-9a-f]",
    "CRYPTO": r"(?i)(?:bc1|[13])[a-z0-9]{25}",
    "MAC_ADDRESS": r"(?i)[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}",
    "UUID": r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "US_ITIN": r"9\d{2}[- ]?(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])[- ]?\d{4}",
    "US_BANK_NUMBER": r"[0-9]{8}",
    "US_PASSPORT": r"[0-9]{8}",
    "US_DRIVER_LICENSE": r"(?i)[a-z][0-9]|[0-9][a-z]|[0-9]{6}|a-z\]\]",
    "MEDICAL_LICENSE": r"(?i)[abcdefghjklmprstux][a-z9]\d{7}",
    "UK_NHS": r"[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{4}",
    "URL": r"(?i)[a-z0-9.-]\.[a-z]{2}",
    "DATE_TIME": rf"\d[/.-]\d|(?i)\d-(?:{_MONTHS})|(?i)(?:{_MONTHS})-\d",
}
# Without the DE region (see the PhoneRecognizer variants) a number written nationally has >= 7 digits (the shortest
# valid national numbers of US GB FR IL IN CA BR), one written with + has >= 6 (country code + the shortest national
# number of any country: 2 + 4).
# Checked by brute force (--phone-brute-force): no 6-digit string parses as a valid number in those 7 regions.
PROPOSED_PHONE_REGIONS = ("US", "GB", "FR", "IL", "IN", "CA", "BR")
PHONE_NO_DE = rf"{_PH_START}\d(?:{_PH_SEP}\d){{6}}|[+\x{{FF0B}}]\D{{0,9}}\d(?:{_PH_SEP}\d){{5}}"
# Narrower conditions that hold only above a score: US_SSN's four 0.05 patterns reach at most 0.4 with context, so
# at a threshold above 0.4 only "SSN5 (medium)" (separators required) is left.
PREFILTERS_AT: dict[str, tuple[float, str]] = {
    "US_SSN": (0.41, r"[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}"),
}

# Edge cases: texts presidio flags that a careless prefilter misses (run through presidio, then every prefilter).
EDGE_CASES = [
    "Call 01640 now", "Call 1640 now", "Durchwahl (0)1640 bitte", "call 016 499 ok",
    "Call 212 555 0199", "call 212.555.0199 or 2125550199x12", "Tel: +44 20 7946 0958", "+49 30 901820",
    "call ٢١٢-٥٥٥-٠١٩٩ please", "call ２１２-５５５-０１９９ please", "ph 1 x 6 4 0", "+683 4002",
    "(x212 555 0199", "tel:+12125550199", "SR2125550199 x", "+49 1640", "0049 1640 ok", "(+49) 30 901820",
    "ip ABCD:ABCD:ABCD:ABCD:ABCD:ABCD:ABCD:ABCD", "ip fe80::1", "mapped ::ffff:10.0.0.1", "addr 8.8.8.8/24",
    "iban de89370400440532013000", "IBAN GB82 WEST 1234 5698 7654 32", "iban de89-3704-0044-0532-0130-00",
    "card 4111 1111 1111 1111", "card 4111-1111-1111-1111", "card 378282246310005", "card ٤١١١١١١١١١١١١١١١",
    "ssn 078-05-1121", "ssn 123.45.6780", "ssn 219 09 9999", "ssn 21909-9999", "ssn 219099999",
    "mail x@münchen.de", "mail o'brien+tag@sub-domain.example.co.uk", "mail A@B.COM",
    "see example.community", "see WWW.EXAMPLE.ORG/path", "site http://ex-ample.io",
    "btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "btc bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "mac 00:1A:2B:3C:4D:5E", "mac 0012.3456.789A", "id 123e4567-e89b-12d3-a456-426614174000",
    "dea AB1234563", "dl A1", "dl 12ABC12345", "passport A12345678", "bank 12345678901",
    "date 2024-03-13T19:29:24Z", "date 13-MAR-2024", "date mar-24", "date 3/24",
    "itin 912-70-1234", "nhs 943 476 5919",
]


# --- engine ----------------------------------------------------------------------------------------------------------
def build_analyzer(lemmas: bool = False, phone_regions: tuple[str, ...] | None = None):
    """presidio AnalyzerEngine on a blank spaCy pipeline, e-mail domains checked against tldextract's bundled
    snapshot. ``lemmas``: add a component that sets each token's lemma to its lower-case text, so presidio's
    context words (LemmaContextAwareEnhancer) work as they would with a real pipeline; blank spaCy has no lemmas."""
    import spacy
    import tldextract
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import EmailRecognizer
    from spacy.language import Language

    nlp = spacy.blank(LANG)
    if lemmas:
        if "pii_study_lower_lemma" not in Language.factories:
            @Language.component("pii_study_lower_lemma")
            def _lower_lemma(doc):
                for token in doc:
                    token.lemma_ = token.lower_
                return doc
        nlp.add_pipe("pii_study_lower_lemma")

    class OfflineSpacyNlpEngine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {LANG: nlp}

    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return offline(pattern_text).fqdn != ""

    engine = OfflineSpacyNlpEngine(models=[{"lang_code": LANG, "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=[LANG])
    registry.load_predefined_recognizers(languages=[LANG], nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    if phone_regions:
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer

        registry.remove_recognizer("PhoneRecognizer")
        registry.add_recognizer(PhoneRecognizer(supported_regions=phone_regions))
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=[LANG])


def analyze_all(analyzer, texts):
    """Detections per text at score >= 0: (entity, start, end, score, recognizer)."""
    out = []
    for t in texts:
        res = analyzer.analyze(text=t, language=LANG, score_threshold=0.0) if t else []
        out.append(sorted((r.entity_type, r.start, r.end, round(float(r.score), 4),
                           (r.recognition_metadata or {}).get("recognizer_name", "?")) for r in res))
    return out


# --- small helpers ---------------------------------------------------------------------------------------------------
def snip(text, start, end, width=38):
    left = text[max(0, start - width):start]
    right = text[end:end + width]
    s = ("…" if start > width else "") + left + "«" + text[start:end] + "»" + right + ("…" if end + width < len(text) else "")
    return s.replace("\n", "⏎")


def fmt(x, nd=2):
    return "-" if x is None else f"{x:.{nd}f}"


def ratio(a, b):
    return a / b if b else None


def print_table(headers, rows, title=None):
    if title:
        print(title)
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print("  " + line)
    for r in rows:
        print("  " + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)))


def types_at(dets, t):
    return {d[0] for d in dets if d[3] >= t}


# --- data ------------------------------------------------------------------------------------------------------------
def load_small():
    data = json.loads((SHARED / "pii_small" / "generated_small.json").read_text())
    return data


def load_tickets():
    with open(SHARED / "support_tickets" / "support_tickets.csv", newline="", encoding="utf-8") as f:
        return [row["REQUEST"] for row in csv.DictReader(f)]


def load_alpaca():
    return [r["output"] for r in json.loads((SHARED / "alpaca_demo" / "alpaca_en_demo.json").read_text())]


def load_bench(path, n_plain, n_pii, n_speed):
    truth = json.loads(Path(str(path) + ".truth.json").read_text())
    pii = sorted(truth["pii"], key=lambda p: p["row"])
    pii_rows = {p["row"] for p in pii}
    over = {o["row"] for o in truth.get("over_budget_prompt", []) + truth.get("over_budget_completion", [])}
    pii_sample = pii[:n_pii]
    need = {p["row"] for p in pii_sample}
    plain_idx, rows = [], {}
    max_pii = max(need) if need else -1
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            take = i in need or i < n_speed
            if i not in pii_rows and len(plain_idx) < n_plain:
                plain_idx.append(i)
                take = True
            if take:
                rows[i] = json.loads(line)
            if len(plain_idx) >= n_plain and i >= max_pii and i >= n_speed:
                break
    return truth, rows, plain_idx, pii_sample, over


# --- 1. generated_small ------------------------------------------------------------------------------------------------
def study_small(analyzer, report):
    data = load_small()
    labels = Counter(s["entity_type"] for r in data for s in r["spans"])
    print(f"\n== 1. generated_small.json: {len(data)} records; dataset labels (spans): "
          + ", ".join(f"{k} {v}" for k, v in labels.most_common()))
    print("   mapping to presidio: " + ", ".join(f"{k}->{v or '(none)'}" for k, v in SMALL_MAP.items() if k in labels))
    texts = [r["full_text"] for r in data]
    dets = analyze_all(analyzer, texts)
    truth = [defaultdict(list) for _ in data]
    for i, r in enumerate(data):
        for s in r["spans"]:
            p = SMALL_MAP.get(s["entity_type"])
            if p:
                truth[i][p].append((s["start_position"], s["end_position"], s["entity_type"]))
    types = sorted({t for tr in truth for t in tr} | {d[0] for ds in dets for d in ds})
    rows, summary = [], {}
    for et in types:
        n_true = sum(1 for tr in truth if et in tr)
        cells, summary[et] = [et, n_true], {"truth_rows": n_true}
        for t in THRESHOLDS:
            pred = [et in types_at(ds, t) for ds in dets]
            tp = sum(1 for i, p in enumerate(pred) if p and et in truth[i])
            n_pred = sum(pred)
            cells += [n_pred, fmt(ratio(tp, n_true)), fmt(ratio(tp, n_pred))]
            summary[et][str(t)] = {"pred_rows": n_pred, "tp_rows": tp, "recall": ratio(tp, n_true), "precision": ratio(tp, n_pred)}
        rows.append(cells)
    hdr = ["type", "truth"] + [f"{h}@{t}" for t in THRESHOLDS for h in ("pred", "R", "P")]
    print_table(hdr, rows, "   row-level recall (R) and precision (P) per presidio type:")
    # Every detection that does not overlap a truth span of its own type, with what it does overlap.
    fps = []
    for i, ds in enumerate(dets):
        for et, s, e, score, rec in ds:
            own = [x for x in truth[i].get(et, []) if x[0] < e and s < x[1]]
            if own:
                continue
            over = sorted({lab for spans in truth[i].values() for (a, b, lab) in spans if a < e and s < b}
                          | {sp["entity_type"] for sp in data[i]["spans"] if sp["start_position"] < e and s < sp["end_position"]})
            fps.append({"row": i, "type": et, "score": score, "recognizer": rec, "row_fp": et not in truth[i],
                        "overlaps": over, "value": texts[i][s:e], "snippet": snip(texts[i], s, e)})
    print(f"   false positives (detections overlapping no truth span of their type), all {len(fps)}, score>=0:")
    for f in sorted(fps, key=lambda f: (f["type"], -f["score"], f["row"])):
        where = "on " + "+".join(f["overlaps"]) if f["overlaps"] else "on unlabelled text"
        kind = "" if f["row_fp"] else " [row has a true one]"
        print(f"   {f['type']:<17} {f['score']:.2f} r{f['row']:<3} {where}{kind}: {f['snippet'][:120]}")
    fns = []
    for i, ds in enumerate(dets):
        for et, spans in truth[i].items():
            if et in ("PERSON", "LOCATION", "ORGANIZATION"):
                continue  # NER only: every one is missed without a model
            for a, b, lab in spans:
                if not any(d[0] == et and d[1] < b and a < d[2] for d in ds):
                    fns.append({"row": i, "type": et, "label": lab, "snippet": snip(texts[i], a, b)})
    print(f"   missed truth spans of pattern-based types (score>=0), all {len(fns)}:")
    for f in fns:
        print(f"   {f['type']:<17} r{f['row']:<3} ({f['label']}): {f['snippet'][:110]}")
    report["small"] = {"labels": dict(labels), "per_type": summary, "false_positives": fps, "false_negatives": fns}
    return texts, dets


# --- 2. texts without PII ----------------------------------------------------------------------------------------------
def study_clean(name, texts, dets, report, examples=2):
    nbytes = sum(len(t.encode()) for t in texts)
    by = defaultdict(lambda: {str(t): 0 for t in THRESHOLDS})
    ex = defaultdict(list)
    for i, ds in enumerate(dets):
        for t in THRESHOLDS:
            for et in types_at(ds, t):
                by[et][str(t)] += 1
        seen = set()
        for et, s, e, score, rec in sorted(ds, key=lambda d: -d[3]):
            if et not in seen and len(ex[et]) < examples:
                ex[et].append((score, snip(texts[i], s, e, 30)))
            seen.add(et)
    rows = [[et] + [f"{v[str(t)]} ({100 * v[str(t)] / len(texts):.1f}%)" for t in THRESHOLDS]
            for et, v in sorted(by.items(), key=lambda kv: -kv[1]["0.0"])]
    any_row = [sum(1 for ds in dets if types_at(ds, t)) for t in THRESHOLDS]
    rows.append(["(any type)"] + [f"{a} ({100 * a / len(texts):.1f}%)" for a in any_row])
    print(f"\n-- {name}: {len(texts):,} texts, {nbytes / 1e6:.2f} MB; texts with a finding per type")
    print_table(["type"] + [f"score>={t}" for t in THRESHOLDS], rows)
    for et in sorted(ex, key=lambda k: -by[k]["0.0"]):
        for score, s in ex[et]:
            print(f"     e.g. {et:<17} {score:.2f}  {s[:110]}")
    report.setdefault("clean", {})[name] = {"texts": len(texts), "bytes": nbytes, "per_type": by, "any": any_row,
                                            "examples": {k: v for k, v in ex.items()}}


def phone_format(v):
    return re.sub(r"\d", "d", v)


def study_bench_pii(rows, pii_sample, analyzer, report):
    texts, meta = [], []
    for p in pii_sample:
        texts.append(rows[p["row"]][p["field"]])
        meta.append(p)
    dets = analyze_all(analyzer, texts)
    found = defaultdict(lambda: {str(t): 0 for t in THRESHOLDS})
    total = Counter()
    hits_by_kind = defaultdict(Counter)      # injected kind -> presidio types overlapping it (score>=0)
    hit_scores = defaultdict(list)
    nhs_by_fmt = defaultdict(lambda: [0, 0])
    missing = Counter()
    other = Counter()
    for text, p, ds in zip(texts, meta, dets):
        spans = []
        for ent in p["entities"]:
            s = text.find(ent["value"])
            if s < 0:
                missing[ent["type"]] += 1
                continue
            e = s + len(ent["value"])
            spans.append((s, e))
            kind = ent["type"]
            target = BENCH_MAP[kind]
            total[kind] += 1
            over = [d for d in ds if d[1] < e and s < d[2]]
            for t in THRESHOLDS:
                if any(d[0] == target and d[3] >= t for d in over):
                    found[kind][str(t)] += 1
            for et in {d[0] for d in over}:
                hits_by_kind[kind][et] += 1
            for d in over:
                hit_scores[(kind, d[0])].append(d[3])
            if kind == "phone":
                f = phone_format(ent["value"])
                nhs_by_fmt[f][0] += 1
                nhs_by_fmt[f][1] += any(d[0] == "UK_NHS" for d in over)
        for d in ds:
            if not any(d[1] < e and s < d[2] for s, e in spans):
                other[d[0]] += 1
    print(f"\n-- bench PII rows: {len(texts):,} injected rows (field that holds the PII), {sum(total.values()):,} values; "
          "recall = share of values overlapped by a detection of the mapped type")
    rws = [[k, BENCH_MAP[k], total[k]] + [fmt(ratio(found[k][str(t)], total[k]), 3) for t in THRESHOLDS]
           for k in sorted(total)]
    print_table(["injected", "presidio type", "values"] + [f"R@{t}" for t in THRESHOLDS], rws)
    print("   presidio types overlapping each injected kind (share of values; score range):")
    for k in sorted(hits_by_kind):
        parts = []
        for et, c in hits_by_kind[k].most_common():
            sc = hit_scores[(k, et)]
            parts.append(f"{et} {100 * c / total[k]:.1f}% [{min(sc):.2f}-{max(sc):.2f}]")
        print(f"     {k:<11} " + "; ".join(parts))
    print("   UK_NHS on injected US phone numbers, by format: "
          + "; ".join(f"{f} {b}/{a}" for f, (a, b) in sorted(nhs_by_fmt.items(), key=lambda kv: -kv[1][0])))
    if other:
        print("   detections elsewhere in these texts (not on an injected value): "
              + ", ".join(f"{k} {v}" for k, v in other.most_common()))
    if missing:
        print(f"   values not found verbatim in their field: {dict(missing)}")
    report["bench_pii"] = {"values": dict(total), "recall": {k: {t: ratio(v, total[k]) for t, v in found[k].items()} for k in found},
                           "overlaps": {k: dict(v) for k, v in hits_by_kind.items()},
                           "nhs_on_phone_by_format": {f: v for f, v in nhs_by_fmt.items()}, "elsewhere": dict(other)}
    return texts, dets


# --- 3. speed ----------------------------------------------------------------------------------------------------------
def study_speed(analyzer, proposed, texts, report, repeat=2):
    from presidio_analyzer import BatchAnalyzerEngine

    nbytes = sum(len(t.encode()) for t in texts)
    res = {}
    analyzer.analyze(text=texts[0], language=LANG)  # warm (lazy recognizer loading)
    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    for _ in range(repeat):  # interleaved, best of `repeat` per mode
        t0 = time.perf_counter()
        for t in texts:
            analyzer.analyze(text=t, language=LANG)
        res["row by row: analyze(text)"] = min(res.get("row by row: analyze(text)", 1e9), time.perf_counter() - t0)
        for bs, n_proc in ((50, 1), (500, 1), (500, 2)):
            key = f"BatchAnalyzerEngine batch_size={bs} n_process={n_proc}"
            t0 = time.perf_counter()
            batch.analyze_iterator(texts, language=LANG, batch_size=bs, n_process=n_proc)
            res[key] = min(res.get(key, 1e9), time.perf_counter() - t0)
    # only the proposed default's entity types, on every text, then only on the prefilter's candidates
    import polars as pl

    enabled = [e for e, (sev, _) in PROPOSED.items() if sev != "off"]
    pf = "|".join(f"(?:{proposed_prefilters()[e]})" for e in enabled)
    for _ in range(repeat):
        t0 = time.perf_counter()
        full = [sorted((r.entity_type, r.start, r.end) for r in proposed.analyze(text=t, language=LANG, entities=enabled)
                       if r.score >= PROPOSED[r.entity_type][1]) for t in texts]
        key = f"proposed: row by row, entities = the {len(enabled)} enabled types"
        res[key] = min(res.get(key, 1e9), time.perf_counter() - t0)
        t0 = time.perf_counter()
        cand = pl.Series(texts).str.contains(pf).to_list()
        pre = [sorted((r.entity_type, r.start, r.end) for r in proposed.analyze(text=t, language=LANG, entities=enabled)
                      if r.score >= PROPOSED[r.entity_type][1]) if c else [] for t, c in zip(texts, cand)]
        key = "proposed: polars prefilter, then row by row on candidates"
        res[key] = min(res.get(key, 1e9), time.perf_counter() - t0)
    same = full == pre
    n_cand = sum(cand)
    # time per recognizer and for the NLP step, row by row
    per = Counter()
    originals = {}
    for rec in analyzer.registry.recognizers:
        originals[id(rec)] = rec.analyze

        def timed(*a, _f=rec.analyze, _n=rec.name, **k):
            t0 = time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                per[_n] += time.perf_counter() - t0
        rec.analyze = timed
    nlp_time = 0.0
    t_all = time.perf_counter()
    for t in texts:
        t0 = time.perf_counter()
        arts = analyzer.nlp_engine.process_text(t, LANG)
        nlp_time += time.perf_counter() - t0
        analyzer.analyze(text=t, language=LANG, nlp_artifacts=arts)
    t_all = time.perf_counter() - t_all
    for rec in analyzer.registry.recognizers:
        del rec.analyze  # back to the class method
    print(f"\n== 3. speed on {len(texts):,} bench texts (first rows of the file, prompt and completion separately), "
          f"{nbytes / 1e6:.2f} MB, best of {repeat}")
    rows = [[k, f"{v:.2f}", f"{nbytes / 1e6 / v:.3f}", f"{len(texts) / v:,.0f}"] for k, v in res.items()]
    print_table(["mode", "seconds", "MB/s", "texts/s"], rows)
    top = per.most_common()
    print(f"   time split (instrumented run {t_all:.2f} s): spaCy blank tokenizer {nlp_time:.2f} s; "
          + ", ".join(f"{n} {v:.2f} s" for n, v in top[:6]) + f"; other recognizers {sum(v for _, v in top[6:]):.2f} s")
    print(f"   prefilter candidates: {n_cand:,}/{len(texts):,} texts; findings identical to analysing every text: {same}")
    report["speed"] = {"texts": len(texts), "bytes": nbytes, "seconds": res, "per_recognizer": dict(per), "nlp": nlp_time,
                       "prefilter_candidates": n_cand, "prefilter_same_findings": same}


def study_phone_variants(all_sets, bench_pii_texts, pii_sample, bench_pii_dets, speed_texts, report):
    """PhoneRecognizer is the slowest recognizer and the source of short-number hits (German numbers can be 4 digits).
    Fewer regions or a stricter leniency only ever remove matches, so the variants are run on the texts the default
    flagged; their speed is timed on the speed texts."""
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    variants = {
        "default: US GB DE FR IL IN CA BR, leniency 1 (VALID)": PhoneRecognizer(),
        "US GB FR IL IN CA BR (no DE), leniency 1": PhoneRecognizer(supported_regions=("US", "GB", "FR", "IL", "IN", "CA", "BR")),
        "US GB CA, leniency 1": PhoneRecognizer(supported_regions=("US", "GB", "CA")),
        "US, leniency 1": PhoneRecognizer(supported_regions=("US",)),
        "8 regions, leniency 2 (STRICT_GROUPING)": PhoneRecognizer(leniency=2),
    }
    import polars as pl

    sample = speed_texts[:600]
    nbytes = sum(len(t.encode()) for t in sample)
    rows = []
    for name, rec in variants.items():
        cells = [name]
        flagged_texts = []
        for label, texts, dets in all_sets:
            idx = [i for i, ds in enumerate(dets) if any(d[0] == "PHONE_NUMBER" for d in ds)]
            hit_idx = [i for i in idx if rec.analyze(texts[i], ["PHONE_NUMBER"])]
            flagged_texts += [texts[i] for i in hit_idx]
            if label in ("tickets", "alpaca", "bench plain"):
                cells.append(len(hit_idx))
        flagged_texts += [t for t in EDGE_CASES if rec.analyze(t, ["PHONE_NUMBER"])]
        m = pl.Series(flagged_texts, dtype=pl.String).str.contains(PHONE_NO_DE)
        cells.append(f"{int((~m).sum())}/{len(flagged_texts)}")
        tot = hit = 0
        for text, p, ds in zip(bench_pii_texts, pii_sample, bench_pii_dets):
            phones = [e["value"] for e in p["entities"] if e["type"] == "phone" and e["value"] in text]
            if not phones:
                continue
            res = rec.analyze(text, ["PHONE_NUMBER"]) if any(d[0] == "PHONE_NUMBER" for d in ds) else []
            for v in phones:
                s = text.find(v)
                tot += 1
                hit += any(r.start < s + len(v) and s < r.end for r in res)
        cells.append(f"{hit}/{tot}")
        t0 = time.perf_counter()
        for t in sample:
            rec.analyze(t, ["PHONE_NUMBER"])
        dt = time.perf_counter() - t0
        cells.append(f"{nbytes / 1e6 / dt:.2f}")
        rows.append(cells)
    print_table(["PhoneRecognizer variant", "tickets", "alpaca", "bench plain texts", "flagged texts not matching PHONE_NO_DE",
                 "bench phones found", "MB/s (recognizer alone)"], rows,
                "\n-- PhoneRecognizer variants (texts with a phone finding; recall on injected US phones; speed)")
    report["phone_variants"] = rows


def tldextract_control():
    """The pitfall the offline e-mail recognizer avoids: tldextract's module-level extract() with no cached suffix
    list tries to download it (here every attempt is refused and recorded, then it falls back to its snapshot)."""
    import tldextract

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    before = len(NETWORK_ATTEMPTS)
    t0 = time.perf_counter()
    res = tldextract.extract("someone@example.co.uk")
    dt = time.perf_counter() - t0
    made = NETWORK_ATTEMPTS[before:]
    del NETWORK_ATTEMPTS[before:]
    return len(made), made[:2], dt, res.fqdn


def phone_brute_force():
    """The digit counts behind the phone prefilters: every 1-5 digit string (bare, and after + / 00 / 011 for 2-4
    digits) through PhoneNumberMatcher in presidio's 8 regions, and every 6-digit string through parse +
    is_valid_number in the 7 regions without DE. Takes about 6 minutes."""
    import phonenumbers as pn

    regions = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")
    t0 = time.perf_counter()
    short = Counter()
    for n_digits in range(1, 6):
        for n in range(10 ** n_digits):
            d = str(n).zfill(n_digits)
            for pre in ("", "+", "00", "011 ") if n_digits <= 4 else ("",):
                text = f"call {pre}{d} now"
                for reg in regions:
                    if any(True for _ in pn.PhoneNumberMatcher(text, reg, leniency=1)):
                        short[(pre + d, reg)] += 1
                        break
    de_form = sum(1 for k in short if re.fullmatch(r"(?:011 )?0?16[489]\d\d?", k[0]))
    print(f"   phone brute force: {len(short)} strings of <= 5 digits (+ prefixes) are phone numbers, found in regions "
          f"{sorted({k[1] for k in short})}; of the form (011 )?0?16[489]d(d)?: {de_form}")
    six = 0
    for n in range(10 ** 6):
        d = f"{n:06d}"
        for reg in PROPOSED_PHONE_REGIONS:
            try:
                if pn.is_valid_number(pn.parse(d, reg)):
                    six += 1
                    break
            except pn.NumberParseException:
                pass
    print(f"   6-digit strings valid in {' '.join(PROPOSED_PHONE_REGIONS)}: {six}  ({time.perf_counter() - t0:.0f} s)")
    return {"short": [f"{k[0]}:{k[1]}" for k in short], "six_digit_valid_without_de": six}


# --- 4. prefilters -----------------------------------------------------------------------------------------------------
def check_prefilters(name, prefilters, corpora, edge_texts, edge_dets, report, at=None):
    """corpora: list of (label, texts, dets). A prefilter is safe when every text with a detection of its type (at
    score >= the given threshold, 0 by default) matches it."""
    import polars as pl

    out = {}
    rows = []
    all_texts = [t for _, ts, _ in corpora for t in ts] + edge_texts
    all_dets = [d for _, _, ds in corpora for d in ds] + edge_dets
    series = pl.Series(all_texts)
    for et, pat in prefilters.items():
        thr = 0.0
        if at and et in at:
            thr, pat = at[et]
        try:
            m = series.str.contains(pat).to_list()
        except Exception as exc:  # noqa: BLE001
            rows.append([et, "INVALID", str(exc)[:60], "", ""])
            continue
        flagged = [i for i, ds in enumerate(all_dets) if any(d[0] == et and d[3] >= thr for d in ds)]
        misses = [i for i in flagged if not m[i]]
        out[et] = {"pattern": pat, "threshold": thr, "flagged_texts": len(flagged), "misses": len(misses),
                   "miss_examples": [snip(all_texts[i], *next((d[1], d[2]) for d in all_dets[i] if d[0] == et), 25)
                                     for i in misses[:3]]}
        rows.append([et, f">={thr}" if thr else "any", len(flagged), len(misses),
                     "; ".join(out[et]["miss_examples"])[:90]])
    print_table(["type", "score", "texts flagged by presidio", "not matched by prefilter", "misses"], rows,
                f"   {name}: superset check on all analysed texts + {len(edge_texts)} edge cases")
    report.setdefault("prefilter_check", {})[name] = out
    return out


def prefilter_shares(bench_path, sets, report, max_rows=None):
    import polars as pl

    df = pl.read_ndjson(bench_path, n_rows=max_rows)
    cols = [c for c in ("prompt", "completion") if c in df.columns]
    n = df.height
    res = {}
    for name, pats in sets.items():
        exprs = {et: pl.any_horizontal([pl.col(c).str.contains(p).fill_null(False) for c in cols]) for et, p in pats.items()}
        flags = df.lazy().select(**exprs).collect()
        per = {et: flags[et].sum() / n for et in pats}
        union = flags.select(pl.any_horizontal(pl.all())).to_series().sum() / n
        res[name] = {"per_type": per, "union": union}
    report["prefilter_share"] = {"rows": n, **res}
    return n, res


# --- main --------------------------------------------------------------------------------------------------------------
# The curated default this study proposes: entity -> (severity, score threshold). With a blank pipeline presidio's
# context words never fire, so scores are the patterns' own: e-mail, card, IBAN, crypto 1.0 once validated (lower-case
# IBAN 0.5), SSN 0.5 only for the separated form, IP 0.6 ("::" 0.1), phone always 0.4.
PROPOSED = {
    "EMAIL_ADDRESS": ("error", 0.5),
    "CREDIT_CARD": ("error", 0.5),
    "US_SSN": ("error", 0.5),
    "IBAN_CODE": ("error", 0.5),
    "PHONE_NUMBER": ("warning", 0.4),
    "IP_ADDRESS": ("warning", 0.5),
    "CRYPTO": ("warning", 0.5),
    "MAC_ADDRESS": ("off", None), "UUID": ("off", None), "URL": ("off", None), "DATE_TIME": ("off", None),
    "UK_NHS": ("off", None), "US_DRIVER_LICENSE": ("off", None), "US_BANK_NUMBER": ("off", None),
    "US_PASSPORT": ("off", None), "US_ITIN": ("off", None), "MEDICAL_LICENSE": ("off", None),
}


def proposed_prefilters():
    out = {e: (PREFILTERS_AT[e][1] if e in PREFILTERS_AT and t >= PREFILTERS_AT[e][0] else PREFILTERS_ANY_SCORE[e])
           for e, (sev, t) in PROPOSED.items() if sev != "off"}
    if "PHONE_NUMBER" in out:
        out["PHONE_NUMBER"] = PHONE_NO_DE  # the proposed PhoneRecognizer has no DE region
    return out


def flagged_by_config(dets, config):
    return {d[0] for d in dets if config.get(d[0], ("off", None))[0] != "off" and d[3] >= config[d[0]][1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="/tmp/bench100.jsonl")
    ap.add_argument("--plain", type=int, default=5000, help="plain (no injected PII) bench rows to analyse")
    ap.add_argument("--pii-rows", type=int, default=2000, help="injected PII rows to analyse")
    ap.add_argument("--speed-rows", type=int, default=2000, help="first rows of the bench file to time")
    ap.add_argument("--json", default="/tmp/pii_study.json", help="full results (all examples) as JSON")
    ap.add_argument("--no-lemma-run", action="store_true", help="skip the comparison run with context words enabled")
    ap.add_argument("--phone-brute-force", action="store_true",
                    help="also re-derive the phone prefilters' digit counts by brute force (about 6 minutes)")
    args = ap.parse_args()
    report: dict = {"args": vars(args)}

    caught = []
    logging.captureWarnings(True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        import presidio_analyzer  # noqa: F401
        import spacy
        t_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        analyzer = build_analyzer(lemmas=False)
        t_build = time.perf_counter() - t0
        caught = [f"{x.category.__name__}: {str(x.message)[:100]}" for x in w]
    from importlib.metadata import version

    print(f"presidio-analyzer {version('presidio-analyzer')}, spacy {spacy.__version__}, phonenumbers "
          f"{version('phonenumbers')}, tldextract {version('tldextract')}, polars {version('polars')}; python "
          f"{sys.version.split()[0]}")
    print(f"import presidio+spacy {t_import:.2f} s, build engine (blank 'en') {t_build:.2f} s; warnings while loading: "
          f"{len(caught)}" + (f" ({'; '.join(sorted(set(caught)))[:200]})" if caught else ""))

    # -- recognizers
    print("\n== 0. active recognizers (language en)")
    from presidio_analyzer import PatternRecognizer

    rec_rows = []
    for r in analyzer.registry.recognizers:
        cls = type(r)
        kind = ("NER (spaCy model)" if cls.__name__ == "SpacyRecognizer" else
                "phonenumbers" if cls.__name__ == "PhoneRecognizer" else "regex")
        if isinstance(r, PatternRecognizer):
            base = [c for c in cls.__mro__ if c.__module__.startswith("presidio_analyzer.predefined")]
            src = base[0] if base else cls
            if "validate_result" in src.__dict__:
                kind += "+checksum/validator"
            if "invalidate_result" in src.__dict__:
                kind += "+invalidator"
            scores = sorted({p.score for p in r.patterns})
            kind += f" (pattern scores {', '.join(str(s) for s in scores)})"
        rec_rows.append([r.name, ",".join(r.supported_entities), kind])
    print_table(["recognizer", "entities", "how"], rec_rows)
    print("   SpacyRecognizer turns spaCy NER labels into entities; a blank pipeline has no NER, so PERSON, LOCATION, NRP,")
    print("   ORGANIZATION, AGE, ID and NER dates never fire (checked below: no SpacyRecognizer result on any text).")
    report["recognizers"] = rec_rows

    # -- 1
    small_texts, small_dets = study_small(analyzer, report)

    # -- 2
    print("\n== 2. texts that should hold no PII")
    tickets = load_tickets()
    alpaca = load_alpaca()
    _truth, rows, plain_idx, pii_sample, over = load_bench(args.bench, args.plain, args.pii_rows, args.speed_rows)
    plain_texts = [rows[i][f] for i in plain_idx for f in ("prompt", "completion")]
    t0 = time.perf_counter()
    tick_dets = analyze_all(analyzer, tickets)
    alp_dets = analyze_all(analyzer, alpaca)
    plain_dets_f = analyze_all(analyzer, plain_texts)
    t_clean = time.perf_counter() - t0
    study_clean("support_tickets.csv REQUEST", tickets, tick_dets, report)
    study_clean("alpaca_en_demo.json output", alpaca, alp_dets, report)
    # row level for the bench: a row is flagged when either field is
    plain_row_texts = [rows[i]["prompt"] + "\n\n" + rows[i]["completion"] for i in plain_idx]
    plain_row_dets = []
    for k in range(len(plain_idx)):
        p, c = plain_dets_f[2 * k], plain_dets_f[2 * k + 1]
        off = len(rows[plain_idx[k]]["prompt"]) + 2
        plain_row_dets.append(p + [(d[0], d[1] + off, d[2] + off, d[3], d[4]) for d in c])
    n_over = sum(1 for i in plain_idx if i in over)
    study_clean(f"{Path(args.bench).name} plain rows (first {len(plain_idx):,} rows not in truth 'pii'; "
                f"{n_over} of them over-budget logs)", plain_row_texts, plain_row_dets, report)
    bench_pii_texts, bench_pii_dets = study_bench_pii(rows, pii_sample, analyzer, report)

    all_sets = [("generated_small", small_texts, small_dets), ("tickets", tickets, tick_dets),
                ("alpaca", alpaca, alp_dets), ("bench plain", plain_texts, plain_dets_f),
                ("bench pii", bench_pii_texts, bench_pii_dets)]
    spacy_hits = sum(1 for _, _, ds in all_sets for d in ds for x in d if x[4] == "SpacyRecognizer")
    print(f"   SpacyRecognizer results on all {sum(len(t) for _, t, _ in all_sets):,} analysed texts: {spacy_hits}")
    print(f"   (analysing the no-PII corpora took {t_clean:.1f} s)")

    # -- context words (lemmas) comparison
    if not args.no_lemma_run:
        lem = build_analyzer(lemmas=True)
        print("\n-- with context words working (lemma = lower-case token, as a real spaCy pipeline would give): "
              "texts flagged at score>=0.5 / recall at 0.5")
        cmp_rows = []
        lem_sets = {}
        for name, texts, dets in all_sets:
            lem_sets[name] = analyze_all(lem, texts)
        types = sorted({d[0] for _, _, ds in all_sets for x in ds for d in x})
        for et in types:
            row = [et]
            for name, texts, dets in all_sets[1:4]:
                a = sum(1 for x in dets if any(d[0] == et and d[3] >= 0.5 for d in x))
                b = sum(1 for x in lem_sets[name] if any(d[0] == et and d[3] >= 0.5 for d in x))
                row.append(f"{a} -> {b}")
            a = sum(1 for x in bench_pii_dets if any(d[0] == et and d[3] >= 0.5 for d in x))
            b = sum(1 for x in lem_sets["bench pii"] if any(d[0] == et and d[3] >= 0.5 for d in x))
            row.append(f"{a} -> {b}")
            cmp_rows.append(row)
        print_table(["type", "tickets", "alpaca", "bench plain texts", "bench pii texts (any span)"], cmp_rows)
        lem_scores = Counter((d[0], d[3]) for x in lem_sets["bench pii"] for d in x)
        report["lemma_comparison"] = cmp_rows
        report["lemma_scores_bench_pii"] = {f"{k[0]}@{k[1]}": v for k, v in lem_scores.items()}

    # -- 3
    speed_texts = [rows[i][f] for i in range(args.speed_rows) for f in ("prompt", "completion") if rows[i][f]]
    proposed = build_analyzer(phone_regions=PROPOSED_PHONE_REGIONS)
    study_speed(analyzer, proposed, speed_texts, report)
    study_phone_variants(all_sets, bench_pii_texts, pii_sample, bench_pii_dets, speed_texts, report)

    # -- 4
    print("\n== 4. prefilters (necessary conditions, polars str.contains)")
    if args.phone_brute_force:
        report["phone_brute_force"] = phone_brute_force()
    edge_dets = analyze_all(analyzer, EDGE_CASES)
    edge_types = Counter(d[0] for ds in edge_dets for d in ds)
    print(f"   {len(EDGE_CASES)} edge cases; presidio detections on them: " + ", ".join(f"{k} {v}" for k, v in sorted(edge_types.items())))
    check_prefilters("this study's prefilters (any score)", PREFILTERS_ANY_SCORE, all_sets, EDGE_CASES, edge_dets, report)
    check_prefilters("narrower prefilters at their threshold", {k: v[1] for k, v in PREFILTERS_AT.items()}, all_sets,
                     EDGE_CASES, edge_dets, report, at=PREFILTERS_AT)
    sets = {"this study (any score)": PREFILTERS_ANY_SCORE}
    try:
        sys.path.insert(0, str(ROOT))
        from prep.measures.pii import PREFILTERS as PREP_PREFILTERS  # type: ignore

        check_prefilters("prep/pii.py PREFILTERS", PREP_PREFILTERS, all_sets, EDGE_CASES, edge_dets, report)
        sets["prep/pii.py"] = PREP_PREFILTERS
    except Exception as exc:  # noqa: BLE001
        print(f"   (prep/pii.py PREFILTERS not checked: {exc})")
    proposed_pf = proposed_prefilters()
    sets["proposed default"] = proposed_pf
    sets["same, PHONE with DE region"] = {**proposed_pf, "PHONE_NUMBER": PREFILTERS_ANY_SCORE["PHONE_NUMBER"]}
    sets["same, without PHONE"] = {k: v for k, v in proposed_pf.items() if k != "PHONE_NUMBER"}
    t0 = time.perf_counter()
    n, shares = prefilter_shares(args.bench, sets, report)
    t_pf = time.perf_counter() - t0
    print(f"\n   share of all {n:,} bench rows (prompt or completion) that pass each prefilter "
          f"(lower is better; computed in {t_pf:.1f} s incl. reading the file):")
    all_types = sorted({e for s in sets.values() for e in s})
    rows_ = [[et] + [fmt(shares[s]["per_type"].get(et), 4) if et in sets[s] else "" for s in sets] for et in all_types]
    rows_.append(["UNION"] + [fmt(shares[s]["union"], 4) for s in sets])
    print_table(["type"] + list(sets), rows_)
    import polars as pl

    crow = []
    for label, texts, _ in all_sets[:4]:
        ser = pl.Series(texts, dtype=pl.String)
        crow.append([label] + [fmt(ser.str.contains("|".join(f"(?:{p})" for p in pats.values())).mean(), 4) for pats in sets.values()])
    print_table(["corpus (union share)"] + list(sets), crow)
    report["prefilter_share_corpora"] = crow

    # -- proposed config evaluated
    print(f"\n== 5. proposed default evaluated (PhoneRecognizer regions {' '.join(PROPOSED_PHONE_REGIONS)}; severity@threshold): "
          + ", ".join(f"{e} {s}@{t}" for e, (s, t) in PROPOSED.items() if s != "off")
          + "; off: " + ", ".join(e for e, (s, _) in PROPOSED.items() if s == "off"))
    enabled = [e for e, (sev, _) in PROPOSED.items() if sev != "off"]

    def rerun(texts, dets):
        return [analyze_all(proposed, [t])[0] if any(d[0] in enabled for d in ds) else [] for t, ds in zip(texts, dets)]

    ev_rows = []
    for name, texts, dets in all_sets[:4]:
        if name == "bench plain":
            texts, dets = plain_row_texts, plain_row_dets
        dets = rerun(texts, dets)
        c = Counter(et for x in dets for et in flagged_by_config(x, PROPOSED))
        anyn = sum(1 for x in dets if flagged_by_config(x, PROPOSED))
        ev_rows.append([name, len(dets), anyn, ", ".join(f"{k} {v}" for k, v in c.most_common())])
    print_table(["corpus", "texts", "flagged", "by type"], ev_rows)
    tot, hit = Counter(), Counter()
    for text, p, ds in zip(bench_pii_texts, pii_sample, rerun(bench_pii_texts, bench_pii_dets)):
        got = flagged_by_config(ds, PROPOSED)
        for ent in p["entities"]:
            s = text.find(ent["value"])
            if s < 0:
                continue
            e = s + len(ent["value"])
            tot[ent["type"]] += 1
            tgt = BENCH_MAP[ent["type"]]
            if tgt in got and any(d[0] == tgt and d[1] < e and s < d[2] and d[3] >= PROPOSED[tgt][1] for d in ds):
                hit[ent["type"]] += 1
    print("   bench PII recall under the proposed default: "
          + ", ".join(f"{k} {hit[k]}/{tot[k]}" for k in sorted(tot)))
    report["proposed"] = {"config": PROPOSED, "prefilters": proposed_pf, "flagged": ev_rows,
                          "bench_recall": {k: ratio(hit[k], tot[k]) for k in tot}}

    n_ctl, ctl, dt_ctl, fq = tldextract_control()
    print(f"\ncontrol: presidio's stock EmailRecognizer path, tldextract.extract() with an empty cache: {n_ctl} network "
          f"attempts refused ({'; '.join(ctl)}), {dt_ctl:.2f} s, then its bundled snapshot (fqdn {fq!r})")
    report["tldextract_control"] = {"attempts": n_ctl, "examples": ctl, "seconds": dt_ctl}
    print(f"network attempts during the study itself: {len(NETWORK_ATTEMPTS)}"
          + (f" ({NETWORK_ATTEMPTS[:3]})" if NETWORK_ATTEMPTS else ""))
    report["network_attempts"] = NETWORK_ATTEMPTS
    report["prefilters_any_score"] = PREFILTERS_ANY_SCORE
    Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    print(f"full results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
