#!/usr/bin/env python
"""Per-rule detection quality on real datasets of different kinds: precision on a hand-checked sample of the
findings, recall on defects injected into a copy of the data, and the finding counts per rule.

    python bench/rule_quality.py [--data ../shared/data] [--sample 15] [--json out.json] [--dump-unjudged FILE]

Datasets (from ``../shared/data``, see its README), one per kind:

- **classification**: CLINC150 train, with its validation split (151 intents);
- **correspondence**: the Cortex quickstart's support tickets as the mails they are (``From: name <e-mail>``,
  then the request; the completion is the service type);
- **code**: MBPP (task text -> Python code);
- **instruction**: the Alpaca demo (instruction and input -> output).

A dataset without a validation split gets its last 10% of rows as one, so that LK001 has something to check.

**Precision.** Up to ``--sample`` findings per dataset and rule are drawn (seeded) and looked up in
``bench/truth/hand_checked.json``, where each was judged by reading the rows (``true``: the finding is right
and a user should act on it; ``false``: a false alarm), with a one-line reason. Precision is judged-true over
judged; findings not judged yet are counted and can be written out with ``--dump-unjudged`` for reading.
Rules whose decision is exact arithmetic or equality (DU001, SC*, SZ*, TK*, IO*) are not sampled: their findings
are checked by tests against independent computations.

**Recall.** On a copy of each dataset (train and validation), defects are injected into rows chosen at random
(distinct rows per kind, seeded) and a kind counts as found when the rule reports the injected row: exact copies
(DU001), copies with one word appended and the first letter's case flipped (DU002; their similarity by the
rule's definition is at least 0.6 on rows of four words or more, so each is a real near duplicate), the same
prompt with another row's completion (DU003), edited training rows in validation (LK001), an e-mail address (a
third glued to the next word), a phone number (six formats: US with and without extension, dotted, UK, Swiss,
German) or a Luhn-valid card number (Visa, Mastercard, Amex, Diners, JCB, UnionPay, Maestro; 12 to 19 digits)
written into the prompt (PI001, per entity), mojibake, a control
character, quoted-printable residue (a soft line break and ``=3D``) and HTML entities (TX001), a chat template token (TX002), an unfilled
``{customer_name}`` in 2% of the rows (at least 20; TX003: found when one finding names it with all its rows), a dangling "Summarize
the following passage:" (TX004), a prompt over the budget (TK001), and on label-like data a label written in
another case (LB004: found when a finding names the variant, which it reports once). The injected values are made up here (names at ordinary mail domains, not reserved ones).

Counts only use ``prep.lint`` and ``Finding`` fields that predate issue 17, so the same command run with
``PYTHONPATH`` at an older checkout gives the "before" column.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path[:1] and "--use-installed" not in sys.argv:
    sys.path.insert(0, str(REPO))

import prep  # noqa: E402
from prep.config import Settings  # noqa: E402

TRUTH = REPO / "bench" / "truth" / "hand_checked.json"
EXACT_RULES = ("DU001", "SC", "SZ", "TK", "IO")  # prefixes: decisions by arithmetic or equality
MODEL = "llama3-8b"


# --- datasets -----------------------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def datasets(data: Path) -> dict[str, tuple[str, pl.DataFrame, pl.DataFrame]]:
    """name -> (kind, train, validation), each frame with string columns ``prompt`` and ``completion``."""
    found: dict[str, tuple[str, pl.DataFrame, pl.DataFrame]] = {}

    def frame(rows: list[dict]) -> pl.DataFrame:
        return pl.DataFrame({"prompt": [str(r["prompt"]) for r in rows], "completion": [str(r["completion"]) for r in rows]})

    def split(rows: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame]:
        cut = len(rows) - len(rows) // 10
        return frame(rows[:cut]), frame(rows[cut:])

    clinc = data / "clinc150"
    if (clinc / "clinc150_train.jsonl").exists():
        found["clinc150"] = ("classification", frame(_jsonl(clinc / "clinc150_train.jsonl")), frame(_jsonl(clinc / "clinc150_val.jsonl")))
    tickets = data / "support_tickets" / "support_tickets.csv"
    if tickets.exists():
        with tickets.open(encoding="utf-8", newline="") as handle:
            rows = [
                {"prompt": f"From: {r['CUSTOMER_NAME']} <{r['CUSTOMER_EMAIL']}>\n\n{r['REQUEST']}", "completion": r["SERVICE_TYPE"]}
                for r in csv.DictReader(handle)
            ]
        found["support_tickets"] = ("correspondence", *split(rows))
    mbpp = data / "mbpp" / "mbpp_prompt_completion.jsonl"
    if mbpp.exists():
        found["mbpp"] = ("code", *split(_jsonl(mbpp)))
    alpaca = data / "alpaca_demo" / "alpaca_en_demo.json"
    if alpaca.exists():
        rows = [
            {"prompt": r["instruction"] + (f"\n\n{r['input']}" if r.get("input") else ""), "completion": r["output"]}
            for r in json.loads(alpaca.read_text(encoding="utf-8"))
        ]
        found["alpaca_demo"] = ("instruction", *split(rows))
    return found


def lint(train: pl.DataFrame, validation: pl.DataFrame):
    return prep.lint(train, validation=validation, settings=Settings(models=(MODEL,)))


# --- precision on a hand-checked sample ---------------------------------------------------------------------


def finding_key(dataset: str, f) -> str:
    """A finding's identity across runs: dataset, rule, source, row, field and what it points at."""
    data = f.data or {}
    other = next((data[k] for k in ("kept_row", "train_row", "first_row", "variable", "reference", "label") if k in data), "")
    entities = ",".join(sorted((data.get("entities") or {}).keys()))
    return "|".join(str(x) for x in (dataset, f.code, f.source, f.row, f.field or "", other, entities))


def sampled(findings: list, size: int, seed: int = 17) -> list:
    by_rule: dict[str, list] = defaultdict(list)
    for f in findings:
        if not f.code.startswith(EXACT_RULES):
            by_rule[f.code].append(f)
    picked = []
    for code in sorted(by_rule):
        group = by_rule[code]
        picked.extend(random.Random(f"{seed}-{code}").sample(group, min(size, len(group))))
    return picked


def describe(f, train: pl.DataFrame, validation: pl.DataFrame) -> dict:
    """What a reader needs to judge a finding: its message and the rows it names, in full."""
    def row(frame_name: str, i) -> dict | None:
        frame = validation if frame_name == "validation" else train
        if i is None or not 0 <= int(i) < frame.height:
            return None
        return {"source": frame_name, "row": int(i), **frame.row(int(i), named=True)}

    data = f.data or {}
    rows = [row(f.source, f.row)]
    for key in ("kept_row", "first_row"):
        if key in data:
            rows.append(row(f.source, data[key]))
    if "train_row" in data:
        rows.append(row("train", data["train_row"]))
    for extra in (data.get("example_rows") or [])[:3]:
        rows.append(row(f.source, extra))
    return {"code": f.code, "message": f.message, "field": f.field, "rows": [r for r in rows if r]}


# --- recall on injected defects -----------------------------------------------------------------------------

FIRST = "Maria Olsen Priya Raman Tomas Novak Keiko Tanaka Liam Byrne Ana Sousa Omar Haddad Ewa Kowalska".split()
DOMAINS = ("gmail.com", "outlook.com", "fastmail.fm", "proton.me", "yahoo.co.uk", "web.de")


# (brand prefix, length, grouping) of card numbers: Visa, Mastercard, Amex, Diners, JCB, UnionPay, Maestro
CARDS = (("4539", 16, 4), ("5425", 16, 4), ("3714", 15, 0), ("3056", 14, 0), ("3530", 16, 4), ("6212", 19, 0), ("6759", 12, 0))


def luhn_card(rng: random.Random, prefix: str, length: int, group: int) -> str:
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i : i + group] for i in range(0, len(s), group)) if group else s


def phone(rng: random.Random, style: int) -> str:
    """A phone number in one of several real-world formats (US with and without extension, UK, Swiss, German)."""
    area, mid, end = rng.choice(["312", "415", "617", "206", "512"]), rng.randrange(200, 999), rng.randrange(1000, 9999)
    return (
        f"({area}) {mid}-{end}",
        f"{area}-{mid}-{end}x{rng.randrange(100, 9999)}",
        f"+44 20 7{rng.randrange(100, 999)} {end}",
        f"+41 (0)44 {rng.randrange(200, 999)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
        f"+49 30 {rng.randrange(1000000, 9999999)}",
        f"{area}.{mid}.{end}",
    )[style % 6]


def email(rng: random.Random, style: int) -> str:
    address = f"{rng.choice(FIRST).lower()}.{rng.choice(FIRST).lower()}@{rng.choice(DOMAINS)}"
    return address if style % 3 else f"{address}thanks"  # glued to the next word, as converted mail often is


def near_copy(text: str) -> str:
    """One word appended and the first letter's case flipped: a near duplicate by the rule's definition."""
    return (text[:1].swapcase() + text[1:]).rstrip() + " please"


def inject(train: pl.DataFrame, validation: pl.DataFrame, label_like: bool, seed: int = 5):
    """(train, validation, cases): cases map a kind to (rule, where, rows) with ``where`` the frame the rows
    index and ``rows`` the injected rows (TX003: all rows holding the variable)."""
    rng = random.Random(seed)
    prompts, completions = train["prompt"].to_list(), train["completion"].to_list()
    n = len(prompts)
    eligible = [i for i in range(n) if len(prompts[i].split()) >= 4 and len(prompts[i]) < 2000]
    rng.shuffle(eligible)
    take = iter(eligible)
    scale = min(1.0, len(eligible) / 260)  # a small dataset gets fewer cases of each kind, all on distinct rows

    def rows(k: int, at_least: int = 2) -> list[int]:
        return [next(take) for _ in range(max(at_least, round(k * scale)))]

    cases: dict[str, tuple[str, str, list[int]]] = {}
    edits: dict[int, str] = {}  # row -> new prompt (in place)
    label_edits: dict[int, str] = {}
    appended: list[tuple[str, str]] = []

    for kind, rule, k in (("exact copy", "DU001", 10), ("near copy", "DU002", 20), ("same prompt, other answer", "DU003", 10)):
        src = rows(k)
        at = list(range(n + len(appended), n + len(appended) + len(src)))
        for i in src:
            if rule == "DU001":
                appended.append((prompts[i], completions[i]))
            elif rule == "DU002":
                appended.append((near_copy(prompts[i]), completions[i]))
            else:
                others = [c for c in set(completions) if c != completions[i]]
                appended.append((prompts[i], rng.choice(sorted(others)) + " (revised)"))
        cases[kind] = (rule, "train", at)
    styles = itertools.count()
    for kind, rule, k, make in (
        ("e-mail", "PI001:EMAIL_ADDRESS", 12, lambda p: f"{p}\nReply to {email(rng, next(styles))} please."),
        ("phone", "PI001:PHONE_NUMBER", 12, lambda p: f"{p}\nCall me back on {phone(rng, next(styles))} after six."),
        ("card", "PI001:CREDIT_CARD", 14, lambda p: f"{p}\nMy card number is {luhn_card(rng, *CARDS[next(styles) % len(CARDS)])}."),
        ("mojibake", "TX001", 5, lambda p: p.replace(" ", " donâ€™t ", 1)),
        ("control character", "TX001", 5, lambda p: p.replace(" ", " \x07", 1)),
        ("quoted-printable", "TX001", 5, lambda p: p.replace(" ", "=\n", 1) + " Total =3D 5 items."),
        ("HTML entities", "TX001", 5, lambda p: p.replace(" ", " &amp; ", 1).replace(" ", " it&#39;s ", 1)),
        ("template token", "TX002", 5, lambda p: f"<|im_start|>user\n{p}<|im_end|>"),
        ("dangling reference", "TX004", 10, lambda p: f"{p.rstrip()}\n\nSummarize the following passage:"),
        ("over budget", "TK001", 3, lambda p: (p + " ") * (9000 // max(1, len(p.split())) + 1)),
    ):
        chosen = rows(k)
        for i in chosen:
            edits[i] = make(prompts[i])
        cases[kind] = (rule, "train", chosen)
    chosen = rows(max(20, -(-2 * n // 100)), at_least=10)  # over TX003's min-rows (10) and min-share (1%)
    for i in chosen:
        edits[i] = f"Hi {{customer_name}}, {prompts[i]}"
    cases["unfilled variable"] = ("TX003", "train", chosen)
    if label_like:
        chosen = rows(10)
        for i in chosen:
            label_edits[i] = completions[i].upper() if completions[i] != completions[i].upper() else completions[i].lower()
        cases["label case"] = ("LB004", "train", chosen)
    new_prompts = [edits.get(i, p) for i, p in enumerate(prompts)] + [p for p, _ in appended]
    new_completions = [label_edits.get(i, c) for i, c in enumerate(completions)] + [c for _, c in appended]
    leaked = rows(10)
    v = validation.height
    validation = pl.concat([validation, pl.DataFrame({"prompt": [near_copy(prompts[i]) for i in leaked], "completion": [completions[i] for i in leaked]})])
    cases["train row in validation"] = ("LK001", "validation", list(range(v, v + len(leaked))))
    return pl.DataFrame({"prompt": new_prompts, "completion": new_completions}), validation, cases


def found_rows(findings: list, rule: str, where: str) -> set[int]:
    code, _, entity = rule.partition(":")
    hit: set[int] = set()
    for f in findings:
        if f.code != code or f.source != where:
            continue
        if entity and entity not in ((f.data or {}).get("entities") or {}):
            continue
        if f.row is not None:
            hit.add(int(f.row))
    return hit


def recall(findings: list, cases: dict, train: pl.DataFrame) -> dict[str, tuple[str, int, int]]:
    """kind -> (rule, found, injected). LB004 reports a label variant once, at its first row: an injected row
    counts as found when a finding names its label."""
    out = {}
    for kind, (rule, where, rows) in cases.items():
        if rule == "LB004":
            named = {(f.data or {}).get("label") for f in findings if f.code == "LB004"}
            out[kind] = (rule, sum(train["completion"][r] in named for r in rows), len(rows))
        elif rule == "TX003":
            ok = any(
                f.code == "TX003" and (f.data or {}).get("variable") == "{customer_name}" and (f.data or {}).get("rows") == len(rows)
                for f in findings
            )
            out[kind] = (rule, len(rows) if ok else 0, len(rows))
        else:
            hit = found_rows(findings, rule, where)
            out[kind] = (rule, sum(r in hit for r in rows), len(rows))
    return out


def label_like(findings: list) -> bool:
    """Whether the run took the completions for labels, as its findings tell (label rules ran, DU003 says so,
    or near duplicates were compared on prompts)."""
    return any(
        f.code.startswith("LB") or (f.data or {}).get("label_like") or (f.data or {}).get("compared") == "prompt"
        for f in findings
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--sample", type=int, default=15, help="findings judged per dataset and rule")
    parser.add_argument("--json", type=Path, help="write every figure here as JSON")
    parser.add_argument("--dump-unjudged", type=Path, help="write the sampled findings not judged yet, with their rows")
    parser.add_argument("--counts-only", action="store_true", help="finding counts per rule only (for an older checkout)")
    parser.add_argument("--use-installed", action="store_true", help="import prep from the environment, not this checkout")
    args = parser.parse_args()
    found = datasets(args.data)
    if not found:
        print(f"no datasets under {args.data}", file=sys.stderr)
        return 2
    truth = json.loads(TRUTH.read_text(encoding="utf-8")) if TRUTH.exists() else {}
    report: dict = {"counts": {}, "precision": {}, "recall": {}}
    unjudged = []
    for name, (kind, train, validation) in found.items():
        result = lint(train, validation)
        counts = Counter(f.code for f in result.findings)
        report["counts"][name] = dict(sorted(counts.items()))
        print(f"\n## {name} ({kind}: {train.height:,} train, {validation.height:,} validation rows)")
        print("findings per rule: " + ", ".join(f"{c} {n:,}" for c, n in sorted(counts.items())))
        if args.counts_only:
            continue
        judged: dict[str, list[bool]] = defaultdict(list)
        for f in sampled(result.findings, args.sample):
            verdict = truth.get(finding_key(name, f))
            if verdict is None:
                unjudged.append({"key": finding_key(name, f), **describe(f, train, validation)})
            else:
                judged[f.code].append(verdict["verdict"] == "true")
        report["precision"][name] = {c: [sum(v), len(v)] for c, v in sorted(judged.items())}
        print("precision on the hand-checked sample: " + (", ".join(f"{c} {sum(v)}/{len(v)}" for c, v in sorted(judged.items())) or "nothing judged"))
        itrain, ivalidation, cases = inject(train, validation, label_like(result.findings))
        injected = recall(lint(itrain, ivalidation).findings, cases, itrain)
        report["recall"][name] = {kind: list(v) for kind, v in injected.items()}
        print("recall on injected defects: " + ", ".join(f"{kind} ({rule}) {hit}/{total}" for kind, (rule, hit, total) in injected.items()))
    by_rule: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for per in report["recall"].values():
        for rule, hit, total in per.values():
            by_rule[rule][0] += hit
            by_rule[rule][1] += total
    if by_rule:
        print("\n## recall per rule, all datasets: " + ", ".join(f"{r} {h}/{t}" for r, (h, t) in sorted(by_rule.items())))
    if unjudged:
        print(f"\n{len(unjudged)} sampled findings not judged yet" + (f": written to {args.dump_unjudged}" if args.dump_unjudged else " (--dump-unjudged FILE)"))
        if args.dump_unjudged:
            args.dump_unjudged.write_text(json.dumps(unjudged, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
