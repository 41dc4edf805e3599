#!/usr/bin/env python
"""Agreement of prep's near-duplicate drops (DU001 + DU002) with the GPTeacher Toolformer authors' cleaned sets.

    python bench/toolformer_agreement.py [--data-dir ../shared/data/gpteacher_toolformer]

The data directory holds ``toolformer-dedupe-only-dataset.json`` (7,673 rows) and the authors' near-duplicate
cleaned versions ``toolformer-similarity-{0.9,0.8,0.7}-dataset.json`` (see its ``SOURCE.md``). A row's identity is
its (instruction, input) key; the authors' drop set at level L is the rows of dedupe-only whose key is not in the
level-L file. Keys of a level file that are not in dedupe-only verbatim are matched after ftfy's mojibake repair
(a few level files carry re-encoded strings such as ``xÂ²`` for ``x²``).

1. **prep**: ``prep.lint`` with DU001 + DU002 on prompt = instruction + "\\n" + input (stripped), completion =
   response, for each DU002 ``threshold`` (``--thresholds``) and ``compare`` (``--compare``). prep's drop set is
   the rows with a DU001 finding or a non-suspicious DU002 finding. Per run and authors' level: |prep drops|,
   |authors drops|, overlap, precision (overlap / prep), recall (overlap / authors), Jaccard of the drop sets,
   and the suspicious clusters (count and sizes), with the run's wall time.
2. **Examples** for one run and level (``--example-*``): rows the authors dropped but prep kept, with the
   word-bigram Jaccard (prep's measure, recomputed here without the boilerplate filter) to the nearest row prep
   kept and the authors' likely reason; and rows prep dropped but the authors kept.
3. **Which similarity did the authors use?** Greedy runs in file order (keep a row unless it is at or above L
   against an already-kept row) under candidate measures, each compared with the authors' drop sets: ROUGE-L F
   (self-instruct / alpaca style) on the response and on the instruction, word-bigram Jaccard on prompt+completion
   and on the prompt, TF-IDF cosine (a cheap stand-in for an embedding) on instruction and response; and, on a
   sample, difflib's ``SequenceMatcher.ratio``. ``--no-probe`` skips this part.

Needs what prep needs (polars, numpy, ftfy), plus scipy for part 3 (skipped when missing).
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import prep  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "gpteacher_toolformer"
BASE_FILE = "toolformer-dedupe-only-dataset.json"
LEVELS = (0.9, 0.8, 0.7)
SHOW = 150  # characters of example text
FIELD_SEPARATOR = "\u2402"  # prep puts this word between prompt and completion in the compared text


def level_file(level: float) -> str:
    return f"toolformer-similarity-{level}-dataset.json"


# --- data -------------------------------------------------------------------------------------------------------


def load_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    if not isinstance(rows, list):
        raise SystemExit(f"error: {path}: expected a JSON array of records")
    return rows


def row_key(record: dict) -> tuple[str, str]:
    return (record.get("instruction") or "", record.get("input") or "")


def authors_drop_set(base_keys: list[tuple[str, str]], level_rows: list[dict]) -> tuple[set[int], dict]:
    """Rows of dedupe-only whose key is not in the level file, and how the level file's keys were matched."""
    import ftfy

    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, key in enumerate(base_keys):
        index[key].append(i)
    kept: set[int] = set()
    stats = Counter()
    level_keys = [row_key(r) for r in level_rows]
    stats["duplicate keys in level file"] = len(level_keys) - len(set(level_keys))
    for key in level_keys:
        rows = index.get(key)
        if rows is None:
            repaired = (ftfy.fix_text(key[0]), ftfy.fix_text(key[1]))
            rows = index.get(repaired)
            stats["matched after mojibake repair" if rows else "unmatched"] += 1
        if rows:
            kept.update(rows)
    return set(range(len(base_keys))) - kept, stats


def tool_line(instruction: str) -> str:
    lines = instruction.split("\n")
    return lines[1].split(":", 1)[-1].strip() if len(lines) > 1 else ""


def task_text(record: dict) -> str:
    """The instruction without its tool-description preamble (2 header lines, then 2 lines per tool), + input."""
    lines = record["instruction"].split("\n")
    tools = [t for t in tool_line(record["instruction"]).split(",") if t.strip()]
    start = 2 + 2 * len(tools)
    task = "\n".join(lines[start:]) if 2 < start < len(lines) else record["instruction"]
    if (record.get("input") or "").strip():
        task += " || input: " + record["input"].strip()
    return task


def preamble_share(record: dict) -> float:
    total = len(record["instruction"].split())
    lines = record["instruction"].split("\n")
    tools = [t for t in tool_line(record["instruction"]).split(",") if t.strip()]
    return len(" ".join(lines[: 2 + 2 * len(tools)]).split()) / max(1, total)


def short(text: str, limit: int = SHOW) -> str:
    text = " ".join(text.split())
    return json.dumps(text if len(text) <= limit else text[: limit - 1] + "…", ensure_ascii=False)


# --- prep -------------------------------------------------------------------------------------------------------


def prep_run(frame: pl.DataFrame, threshold: float, compare: str) -> dict:
    settings = prep.Settings(
        models=("llama3-8b",),
        select=("DU001", "DU002"),
        rules={"DU002": {"threshold": threshold, "compare": compare}},
    )
    start = time.perf_counter()
    result = prep.lint(frame, settings=settings)
    seconds = time.perf_counter() - start
    drops: dict[int, tuple[str, int, float]] = {}  # row -> (rule, kept row, similarity)
    suspicious: list[int] = []
    counts = Counter()
    for f in result.findings:
        if f.code == "DU001":
            drops[f.row] = ("DU001", f.data["kept_row"], 1.0)
            counts["DU001"] += 1
        elif f.code == "DU002":
            if f.data.get("suspicious"):
                suspicious.append(f.data["cluster_size"])
            else:
                drops.setdefault(f.row, ("DU002", f.data["kept_row"], f.data["similarity"]))
                counts["DU002"] += 1
    return {"drops": drops, "suspicious": sorted(suspicious, reverse=True), "seconds": seconds, "counts": counts}


# --- similarity measures ----------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """Lower case, punctuation and symbols (and ``_``) to spaces, split: prep's normalisation without NFKC."""
    return re.sub(r"[\W_]+", " ", text.lower()).split()


def rouge_tokens(text: str) -> list[str]:
    """rouge_score's tokenizer (no stemming): lower case, non-alphanumerics to spaces, split."""
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).split()


def bigram_set(tokens: list[str]) -> frozenset:
    if len(tokens) < 2:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(zip(tokens, tokens[1:]))


def compared_tokens(record: dict, compare: str) -> list[str]:
    prompt = words((record["instruction"] + "\n" + (record.get("input") or "")).strip())
    completion = words(record["response"])
    if compare == "prompt":
        return prompt
    if compare == "completion":
        return completion
    return prompt + [FIELD_SEPARATOR] + completion


def jaccard(a: frozenset, b: frozenset) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


class LCS:
    """Longest common subsequence length of token lists, bit-parallel (Hyyrö 2004): one pass over ``b``."""

    def __init__(self, tokens: list[list[str]]) -> None:
        self.tokens = tokens
        self.lengths = np.array([len(t) for t in tokens])
        self._masks: dict[int, dict[str, int]] = {}

    def masks(self, i: int) -> dict[str, int]:
        m = self._masks.get(i)
        if m is None:
            m = defaultdict(int)
            for pos, tok in enumerate(self.tokens[i]):
                m[tok] |= 1 << pos
            self._masks[i] = m = dict(m)
        return m

    def length(self, i: int, j: int) -> int:
        a_len = len(self.tokens[i])
        if not a_len or not self.tokens[j]:
            return 0
        m, full = self.masks(i), (1 << a_len) - 1
        v = full
        for tok in self.tokens[j]:
            u = v & m.get(tok, 0)
            v = ((v + u) | (v - u)) & full
        return a_len - bin(v).count("1")

    def rouge_f(self, i: int, j: int) -> float:
        total = len(self.tokens[i]) + len(self.tokens[j])
        return 2 * self.length(i, j) / total if total else 1.0


# --- greedy reproduction of the authors' runs (part 3) ----------------------------------------------------------

BLOCK = 512


def sparse_counts(token_lists: list[list], binary: bool = False):
    from scipy import sparse

    vocab: dict = {}
    indptr, indices, data = [0], [], []
    for tokens in token_lists:
        counts = Counter(tokens)
        for tok, c in counts.items():
            indices.append(vocab.setdefault(tok, len(vocab)))
            data.append(1.0 if binary else float(c))
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(token_lists), max(1, len(vocab))))


def greedy_keep(n: int, threshold: float, block_scores, exact=None) -> np.ndarray:
    """Greedy in file order: row i is kept unless some kept row j < i scores >= threshold.

    ``block_scores(lo, hi)`` gives a dense (hi - lo, hi) array: scores of rows lo..hi-1 against rows 0..hi-1, or
    upper bounds of them when ``exact(i, j)`` gives the exact score (checked best bound first).
    """
    kept = np.zeros(n, dtype=bool)
    eps = 1e-9
    for lo in range(0, n, BLOCK):
        hi = min(n, lo + BLOCK)
        scores = block_scores(lo, hi)
        for i in range(lo, hi):
            row = scores[i - lo, :i]
            cand = np.flatnonzero(kept[:i] & (row >= threshold - eps))
            if exact is None:
                dup = cand.size > 0
            else:
                cand = cand[np.argsort(-row[cand], kind="stable")]
                dup = any(exact(i, int(j)) >= threshold - eps for j in cand)
            kept[i] = not dup
    return kept


def rouge_greedy(tokens: list[list[str]], threshold: float) -> np.ndarray:
    counts = sparse_counts(tokens)
    binary = counts.copy()
    binary.data[:] = 1.0
    lengths = np.array([len(t) for t in tokens], dtype=float)
    lcs = LCS(tokens)

    def bounds(lo: int, hi: int) -> np.ndarray:
        # LCS <= sum over shared tokens of min(count_a, count_b) <= both one-sided sums, and <= min length.
        one = (counts[lo:hi] @ binary[:hi].T).toarray()
        two = (binary[lo:hi] @ counts[:hi].T).toarray()
        ub = np.minimum(np.minimum(one, two), np.minimum.outer(lengths[lo:hi], lengths[:hi]))
        total = np.add.outer(lengths[lo:hi], lengths[:hi])
        return np.divide(2 * ub, total, out=np.ones_like(ub), where=total > 0)

    return greedy_keep(len(tokens), threshold, bounds, lcs.rouge_f)


def jaccard_greedy(sets: list[frozenset], threshold: float) -> np.ndarray:
    matrix = sparse_counts([list(s) for s in sets], binary=True)
    sizes = np.asarray(matrix.sum(axis=1)).ravel()

    def scores(lo: int, hi: int) -> np.ndarray:
        inter = (matrix[lo:hi] @ matrix[:hi].T).toarray()
        union = np.add.outer(sizes[lo:hi], sizes[:hi]) - inter
        return np.divide(inter, union, out=np.ones_like(inter), where=union > 0)

    return greedy_keep(len(sets), threshold, scores)


def tfidf_greedy(tokens: list[list[str]], threshold: float) -> np.ndarray:
    from scipy import sparse

    counts = sparse_counts(tokens)
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1  # scikit-learn's smoothed idf
    weighted = counts @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    weighted = sparse.diags(np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)) @ weighted
    weighted = weighted.tocsr()

    def scores(lo: int, hi: int) -> np.ndarray:
        return (weighted[lo:hi] @ weighted[:hi].T).toarray()

    return greedy_keep(n, threshold, scores)


def difflib_sample_agreement(
    texts: list[str], groups: list[str] | None, authors_kept: np.ndarray, threshold: float, sample: int, seed: int
) -> tuple[int, int, int, int]:
    """On ``sample`` rows the authors dropped and ``sample`` they kept (after the first 300 rows): is the
    greedy condition (max ``SequenceMatcher.ratio`` against earlier authors-kept rows >= threshold) true exactly
    for the dropped ones? ``groups`` restricts candidates to rows with the same tool line (cost)."""
    rng = random.Random(seed)
    dropped = [i for i in range(len(texts)) if not authors_kept[i]]
    kept = [i for i in range(300, len(texts)) if authors_kept[i]]
    kept_rows = np.flatnonzero(authors_kept)
    hits = {True: 0, False: 0}
    chosen = {True: rng.sample(dropped, min(sample, len(dropped))), False: rng.sample(kept, min(sample, len(kept)))}
    for was_dropped, rows in chosen.items():
        for i in rows:
            matcher = difflib.SequenceMatcher(None)
            matcher.set_seq2(texts[i])
            found = False
            for j in kept_rows[kept_rows < i].tolist():
                if groups is not None and groups[j] != groups[i]:
                    continue
                matcher.set_seq1(texts[j])
                if matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold:
                    if matcher.ratio() >= threshold:
                        found = True
                        break
            hits[was_dropped] += found == was_dropped
    return hits[True], len(chosen[True]), hits[False], len(chosen[False])


# --- report -----------------------------------------------------------------------------------------------------


def fmt_ratio(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "-"


def print_examples(rows, runs, authors, args, bigrams_by_compare, response_lcs) -> None:
    key = (args.example_threshold, args.example_compare)
    if key not in runs:
        print(f"\n(no examples: prep run threshold={key[0]} compare={key[1]} was not run)")
        return
    level = args.example_level
    run = runs[key]
    prep_drops = set(run["drops"])
    authors_drops = authors[level]
    authors_kept = np.ones(len(rows), dtype=bool)
    authors_kept[list(authors_drops)] = False
    prep_kept = np.ones(len(rows), dtype=bool)
    prep_kept[list(prep_drops)] = False
    sets = bigrams_by_compare(key[1])
    rng = random.Random(args.seed)

    def describe(i: int, indent: str = "   ") -> None:
        r = rows[i]
        print(f"{indent}task [{tool_line(r['instruction'])}]: {short(task_text(r))}")
        print(f"{indent}response: {short(r['response'])}")

    def nearest(i: int, mask: np.ndarray, score) -> tuple[int, float]:
        best, best_j = -1.0, -1
        for j in np.flatnonzero(mask).tolist():
            if j != i:
                s = score(i, j)
                if s > best:
                    best, best_j = s, j
        return best_j, best

    only_authors = sorted(authors_drops - prep_drops)
    only_prep = sorted(prep_drops - authors_drops)
    print(
        f"\n## Examples: prep threshold {key[0]} compare={key[1]} vs authors' level {level} "
        f"({len(only_authors):,} rows dropped only by the authors, {len(only_prep):,} only by prep)"
    )
    other_kept = sum(1 for i in only_prep if not authors_kept[run["drops"][i][1]])
    print(
        f"Of the {len(only_prep):,} rows only prep dropped, {other_kept:,} have a prep kept row that the authors "
        "dropped: both sides drop the cluster but keep a different member of it (greedy chains vs union-find)."
    )
    print("\n(a) dropped by the authors, kept by prep. 'bigram J' = word-bigram Jaccard of prep's compared text to "
          "the nearest row prep kept (no boilerplate filter); 'resp ROUGE-L' = best ROUGE-L F of the response "
          "against an earlier row the authors kept.")
    for i in sorted(rng.sample(only_authors, min(args.examples, len(only_authors)))):
        j, value = nearest(i, prep_kept, lambda a, b: jaccard(sets[a], sets[b]))
        earlier = authors_kept.copy()
        earlier[i:] = False
        k, rouge = nearest(i, earlier, response_lcs.rouge_f)
        print(f"\n - row {i}: bigram J {value:.3f} to prep-kept row {j}; resp ROUGE-L {rouge:.3f} to authors-kept row {k}")
        describe(i)
        print(f"   nearest prep-kept row {j} (bigram J {value:.3f}):")
        describe(j, "     ")
        if k != j:
            print(f"   authors' likely match, row {k} (resp ROUGE-L {rouge:.3f}):")
            describe(k, "     ")
    print("\n(b) dropped by prep, kept by the authors ('resp ROUGE-L' = ROUGE-L F of the two responses).")
    for i in sorted(rng.sample(only_prep, min(args.examples, len(only_prep)))):
        rule, k, value = run["drops"][i]
        print(
            f"\n - row {i}: {rule} near duplicate of row {k} (similarity {value:.3f}; row {k} "
            f"{'kept' if authors_kept[k] else 'dropped'} by the authors); resp ROUGE-L {response_lcs.rouge_f(i, k):.3f}"
        )
        describe(i)
        print(f"   prep's kept row {k}:")
        describe(k, "     ")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help=f"default {DEFAULT_DATA}")
    p.add_argument("--thresholds", type=float, nargs="+", default=[0.9, 0.8, 0.7, 0.6])
    p.add_argument("--compare", nargs="+", default=["prompt+completion", "prompt"],
                   choices=["prompt+completion", "prompt", "completion"])
    p.add_argument("--examples", type=int, default=3, help="examples of each kind (default 3)")
    p.add_argument("--example-threshold", type=float, default=0.8)
    p.add_argument("--example-compare", default="prompt+completion")
    p.add_argument("--example-level", type=float, default=0.8, choices=LEVELS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-probe", action="store_true", help="skip part 3 (which similarity the authors used)")
    p.add_argument("--probe-sample", type=int, default=40, help="rows per class for the difflib sample (default 40)")
    args = p.parse_args(argv)

    data_dir: Path = args.data_dir
    needed = [BASE_FILE] + [level_file(level) for level in LEVELS]
    missing = [name for name in needed if not (data_dir / name).is_file()]
    if missing:
        print(f"error: {data_dir}: missing {', '.join(missing)} (pass --data-dir)", file=sys.stderr)
        return 2

    t_all = time.perf_counter()
    rows = load_rows(data_dir / BASE_FILE)
    base_keys = [row_key(r) for r in rows]
    n = len(rows)
    frame = pl.DataFrame(
        {
            "prompt": [(r["instruction"] + "\n" + (r.get("input") or "")).strip() for r in rows],
            "completion": [r["response"] for r in rows],
        }
    )
    print("# GPTeacher Toolformer: prep DU001+DU002 vs the authors' similarity levels\n")
    print(f"data: {data_dir}")
    print(
        f"dedupe-only: {n:,} rows, {len(set(base_keys)):,} distinct (instruction, input) keys, "
        f"{len(set(r['response'] for r in rows)):,} distinct responses; tool preamble = "
        f"{np.mean([preamble_share(r) for r in rows]):.0%} of instruction words on average"
    )
    authors: dict[float, set[int]] = {}
    for level in LEVELS:
        level_rows = load_rows(data_dir / level_file(level))
        drops, stats = authors_drop_set(base_keys, level_rows)
        authors[level] = drops
        extra = ", ".join(f"{k}: {v}" for k, v in stats.items() if v) or "all keys matched verbatim"
        print(f"authors' level {level}: {len(level_rows):,} rows kept, {len(drops):,} dropped ({extra})")

    # --- part 1: prep runs
    runs: dict[tuple[float, str], dict] = {}
    print("\n## prep (DU001 + DU002) vs the authors' drop sets\n")
    print("| prep thr | compare | run s | prep drops | suspicious clusters (sizes) | authors level | authors drops "
          "| overlap | precision | recall | Jaccard |")
    print("|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for compare in args.compare:
        for threshold in args.thresholds:
            run = runs[(threshold, compare)] = prep_run(frame, threshold, compare)
            mine = set(run["drops"])
            sus = run["suspicious"]
            sus_text = f"{len(sus)} ({', '.join(map(str, sus))})" if sus else "0"
            for level in LEVELS:
                theirs = authors[level]
                both = len(mine & theirs)
                union = len(mine | theirs)
                print(
                    f"| {threshold} | {compare} | {run['seconds']:.2f} | {len(mine):,} | {sus_text} | {level} | "
                    f"{len(theirs):,} | {both:,} | {fmt_ratio(both, len(mine))} | {fmt_ratio(both, len(theirs))} | "
                    f"{fmt_ratio(both, union)} |"
                )
    prep_seconds = sum(r["seconds"] for r in runs.values())
    per_run = ", ".join(f"{t}/{c}: {r['seconds']:.2f}s" for (t, c), r in runs.items())
    print(f"\nprep runs: {len(runs)}, {prep_seconds:.1f} s in total ({per_run})")

    # --- part 2: examples
    cache: dict[str, list[frozenset]] = {}

    def bigrams_by_compare(compare: str) -> list[frozenset]:
        if compare not in cache:
            cache[compare] = [bigram_set(compared_tokens(r, compare)) for r in rows]
        return cache[compare]

    response_tokens = [rouge_tokens(r["response"]) for r in rows]
    response_lcs = LCS(response_tokens)
    t0 = time.perf_counter()
    if args.examples > 0:
        print_examples(rows, runs, authors, args, bigrams_by_compare, response_lcs)
        print(f"\n(examples: {time.perf_counter() - t0:.1f} s)")

    # --- part 3: which similarity reproduces the authors' sets?
    if not args.no_probe:
        try:
            import scipy  # noqa: F401
        except ImportError:
            print("\n(part 3 skipped: scipy is not installed)")
        else:
            probe(rows, authors, args, bigrams_by_compare, response_tokens)
    print(f"\ntotal wall time: {time.perf_counter() - t_all:.1f} s")
    return 0


def probe(rows, authors, args, bigrams_by_compare, response_tokens) -> None:
    n = len(rows)
    instruction_tokens = [rouge_tokens(r["instruction"]) for r in rows]
    measures = [
        ("ROUGE-L F, response", lambda L: rouge_greedy(response_tokens, L)),
        ("ROUGE-L F, instruction", lambda L: rouge_greedy(instruction_tokens, L)),
        ("word-bigram Jaccard, prompt+completion", lambda L: jaccard_greedy(bigrams_by_compare("prompt+completion"), L)),
        ("word-bigram Jaccard, prompt", lambda L: jaccard_greedy(bigrams_by_compare("prompt"), L)),
        ("word-bigram Jaccard, response", lambda L: jaccard_greedy(bigrams_by_compare("completion"), L)),
        ("TF-IDF cosine, instruction", lambda L: tfidf_greedy(instruction_tokens, L)),
        ("TF-IDF cosine, response", lambda L: tfidf_greedy(response_tokens, L)),
    ]
    print("\n## Which similarity did the authors use? Greedy runs in file order at each authors' level\n")
    print("Row i is dropped when it scores >= L against a row j < i that was kept (one independent run per level).\n")
    print("| measure (greedy) | L | drops | authors drops | overlap | precision | recall | Jaccard | s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, run in measures:
        for level in LEVELS:
            t0 = time.perf_counter()
            kept = run(level)
            seconds = time.perf_counter() - t0
            mine = set(np.flatnonzero(~kept).tolist())
            theirs = authors[level]
            both = len(mine & theirs)
            print(
                f"| {name} | {level} | {len(mine):,} | {len(theirs):,} | {both:,} | {fmt_ratio(both, len(mine))} | "
                f"{fmt_ratio(both, len(theirs))} | {fmt_ratio(both, len(mine | theirs))} | {seconds:.1f} |"
            )
    groups = [tool_line(r["instruction"]) for r in rows]
    print(
        f"\ndifflib SequenceMatcher.ratio (default autojunk), sampled: {args.probe_sample} rows the authors dropped "
        "and as many they kept (after row 300) per level; 'agree' = the greedy condition (ratio >= L against an "
        "earlier authors-kept row) holds exactly for the dropped ones. Instructions are compared only with rows "
        "of the same tool line.\n"
    )
    print("| measure (sample) | L | dropped rows explained | kept rows explained | agree | s |")
    print("|---|---:|---:|---:|---:|---:|")
    texts = {
        "difflib ratio, instruction": ([r["instruction"] for r in rows], groups),
        "difflib ratio, response": ([r["response"] for r in rows], None),
    }
    for name, (values, group) in texts.items():
        for level in LEVELS:
            kept = np.ones(n, dtype=bool)
            kept[list(authors[level])] = False
            t0 = time.perf_counter()
            hd, nd, hk, nk = difflib_sample_agreement(values, group, kept, level, args.probe_sample, args.seed)
            print(f"| {name} | {level} | {hd}/{nd} | {hk}/{nk} | {(hd + hk) / (nd + nk):.2f} | "
                  f"{time.perf_counter() - t0:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
