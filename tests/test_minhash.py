"""The near-duplicate machinery: datasketch-exact signatures, verified pairs, recall on real text, leakage."""

from __future__ import annotations

import json
import random
import unicodedata

import numpy as np
import polars as pl
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

import prep
import prep.measures.minhash as mh
from prep.config import Settings
from tests import oracles
from tests.conftest import shared

CONFIG = mh.NearDupConfig()


def reference_words(text: str) -> list[str]:
    """The near-duplicate normalisation, written plainly in Python: NFKC, lower case, punctuation and symbols
    (Unicode categories P* and S*) to spaces, split on whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return text.split()


def reference_shingles(prompt: str, completion: str, n: int = 2) -> set[tuple[str, ...]]:
    """Word n-grams of prompt, separator and completion; a shingle starting in the completion is marked as the
    completion's (per-field shingles: the same words in the prompt are another shingle)."""
    words = reference_words(prompt) + [mh.FIELD_SEPARATOR] + reference_words(completion)
    if len(words) < n:
        return {tuple(words)}
    sep = words.index(mh.FIELD_SEPARATOR)
    return {(("completion",) if i > sep else ()) + tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def plain_jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def test_signatures_equal_datasketch_update_bit_for_bit():
    texts = pl.Series(["the quick brown fox jumps over the lazy dog", "a", "", "hello world", "one two three"] * 50)
    owner, h = mh.shingles(texts, 2)
    sig = mh.signatures(owner, h, len(texts), CONFIG)
    for i in range(5):
        m = MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, hashfunc=lambda v: v)
        for value in h[owner == i].tolist():
            m.update(mh.to_hash32(value))
        assert (m.hashvalues == sig[i]).all()
    assert (sig[2] == np.iinfo(np.uint32).max).all()  # no shingles: the empty signature


@pytest.mark.parametrize("ngram", [1, 2, 3])
def test_vectorised_shingles_equal_the_slow_definition(ngram):
    texts = pl.Series(["the quick brown fox", "a", "", "hello world", "one two three four five six", "x y"])
    owner, h = mh.shingles(texts, ngram)
    for i, text in enumerate(texts.to_list()):
        words = text.split()
        hashes = mh.word_hashes(pl.Series(words, dtype=pl.String)).tolist()
        expected = [oracles.combine_python(hashes[j : j + ngram]) for j in range(max(1, len(words) - ngram + 1))] if words else []
        assert h[owner == i].tolist() == expected


def test_a_shingle_of_the_completion_is_not_the_same_shingle_in_the_prompt():
    """Per-field shingles: the completion's n-grams carry the field's salt, so ``int main`` frequent in code
    completions is boilerplate of completions only, and the same words in a prompt are another shingle."""
    text = pl.Series([f"int main {mh.FIELD_SEPARATOR} int main"])
    owner, h = mh.shingles(text, 2)
    words = mh.word_hashes(pl.Series(["int", "main", mh.FIELD_SEPARATOR], dtype=pl.String)).tolist()
    int_main = oracles.combine_python(words[:2])
    expected = [int_main, oracles.combine_python(words[1:3]), oracles.combine_python([words[2], words[0]]), int_main ^ mh.FIELD_SALT]
    assert h.tolist() == expected
    assert mh.shingles(pl.Series(["int main", "main int main"]), 2)[1].tolist()[0] == int_main  # no separator: no salt


def test_normalisation_matches_the_plain_python_definition():
    samples = ["Café — “quoted”, naïve résumé!", "ＦＵＬＬ width ① text", "tabs\tand\nnew  lines", "emoji 🙂 here", "$5.00 + 10%"]
    got = mh.compared_text(pl.DataFrame({"prompt": samples, "completion": ["ok"] * len(samples)}), CONFIG).to_list()
    for text, value in zip(samples, got):
        assert value.split() == reference_words(text) + [mh.FIELD_SEPARATOR, "ok"]


def test_lsh_parameters_favour_recall_at_the_threshold():
    bands, rows = mh.lsh_params(0.6, 128)
    assert (bands, rows) == (25, 5)
    assert mh.candidate_probability(0.65, bands, rows) >= 0.95
    assert mh.candidate_probability(0.2, bands, rows) < 0.01


def _edit(words: list[str], fraction: float, vocabulary: list[str], rng: random.Random) -> list[str]:
    words = list(words)
    for _ in range(max(1, round(fraction * len(words)))):
        op = rng.choice("sid")
        i = rng.randrange(len(words))
        if op == "s":
            words[i] = rng.choice(vocabulary)
        elif op == "i":
            words.insert(i, rng.choice(vocabulary))
        elif len(words) > 1:
            del words[i]
    return words


def injected(n_copies: int = 300, seed: int = 7):
    """Alpaca rows plus copies of some of them with 1% to 10% of their words edited."""
    rows = json.loads(shared("alpaca_demo/alpaca_en_demo.json").read_text(encoding="utf-8"))
    base = [{"prompt": (r["instruction"] + "\n" + r["input"]).strip(), "completion": r["output"]} for r in rows]
    rng = random.Random(seed)
    vocabulary = [w for r in base for w in r["completion"].split()]
    pairs = []
    out = list(base)
    eligible = [i for i, r in enumerate(base) if len(r["completion"].split()) >= 20]
    for original in rng.sample(eligible, n_copies):
        fraction = rng.uniform(0.01, 0.10)
        completion = " ".join(_edit(base[original]["completion"].split(), fraction, vocabulary, rng))
        pairs.append((original, len(out)))
        out.append({"prompt": base[original]["prompt"], "completion": completion})
    return out, pairs


def test_recall_of_injected_near_duplicates_and_no_pair_below_threshold():
    records, pairs = injected()
    result = prep.lint(pl.DataFrame(records), settings=Settings(models=("llama3-8b",), select=("DU002",)))
    findings = [f for f in result.findings if f.code == "DU002"]
    assert not any(f.data["suspicious"] for f in findings)
    cluster_of = {f.row: f.data["cluster"] for f in findings}
    kept_of = {f.data["cluster"]: f.data["kept_row"] for f in findings}
    found = sum(
        1
        for original, copy in pairs
        if cluster_of.get(copy) is not None and (cluster_of.get(original) == cluster_of[copy] or kept_of[cluster_of[copy]] == original)
    )
    assert found / len(pairs) >= 0.95
    # Every reported pair, re-checked with plain Python sets of word tuples, is at or above the threshold.
    for f in findings:
        a, b = records[f.row], records[f.data["matched_row"]]
        similarity = plain_jaccard(reference_shingles(a["prompt"], a["completion"]), reference_shingles(b["prompt"], b["completion"]))
        assert similarity >= CONFIG.threshold
        assert similarity == pytest.approx(f.data["similarity"], abs=1e-4)


def test_leaks_are_flagged_for_exactly_the_duplicated_validation_rows():
    rows = json.loads(shared("alpaca_demo/alpaca_en_demo.json").read_text(encoding="utf-8"))
    base = [{"prompt": (r["instruction"] + "\n" + r["input"]).strip(), "completion": r["output"]} for r in rows]
    # alpaca has exact duplicates of its own; keep one of each so that "unrelated" rows really are.
    seen, unique = set(), []
    for r in base:
        key = (r["prompt"], r["completion"])
        if key not in seen:
            seen.add(key)
            unique.append(r)
    train, rest = unique[:700], unique[700:]
    rng = random.Random(3)
    vocabulary = [w for r in train for w in r["completion"].split()]
    validation, expected = [], {}
    for i, original in enumerate(rng.sample(range(len(train)), 60)):
        record = dict(train[original])
        if i % 3 == 0:  # exact copy, different case and punctuation
            record = {"prompt": record["prompt"].upper(), "completion": record["completion"].replace(".", "!")}
        elif len(record["completion"].split()) >= 20:
            record["completion"] = " ".join(_edit(record["completion"].split(), 0.05, vocabulary, rng))
        expected[len(validation)] = original
        validation.append(record)
    for record in rest[:100]:
        validation.append(record)
    result = prep.lint(
        pl.DataFrame(train),
        validation=pl.DataFrame(validation),
        settings=Settings(models=("llama3-8b",), select=("LK001",)),
    )
    flagged = {f.row: f.data["train_row"] for f in result.findings}
    assert set(flagged) == set(expected)
    for row, train_row in flagged.items():
        a, b = validation[row], train[train_row]
        assert plain_jaccard(reference_shingles(a["prompt"], a["completion"]), reference_shingles(b["prompt"], b["completion"])) >= 0.6
    assert all(f.severity.value == "error" and f.source == "validation" for f in result.findings)


def test_boilerplate_preamble_does_not_make_everything_a_duplicate():
    preamble = (
        "You are a support assistant for a large telecom company. Read the customer ticket below with care and "
        "classify it into exactly one of these categories: billing, network, device, account. Answer with the "
        "category name only, in lower case, without any explanation. Ticket: "
    )
    rng = random.Random(0)
    words = "router modem bill invoice charge refund signal tower antenna phone screen battery login password".split()
    records = [
        {"prompt": preamble + " ".join(rng.choice(words) + str(rng.randrange(1000)) for _ in range(8)), "completion": "billing"}
        for _ in range(800)
    ]
    result = prep.lint(pl.DataFrame(records), settings=Settings(models=("llama3-8b",), select=("DU002",)))
    assert result.findings == []
    unfiltered = Settings(models=("llama3-8b",), select=("DU002",), rules={"DU002": {"boilerplate-share": 0.0}})
    assert prep.lint(pl.DataFrame(records), settings=unfiltered).findings  # the preamble alone links rows


def test_boilerplate_lookup_equals_isin():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2**63, 200_000).astype(np.uint64)
    boilerplate = np.sort(np.r_[values[:50], rng.integers(0, 2**63, 50).astype(np.uint64)])
    assert (mh.is_boilerplate(values, boilerplate) == np.isin(values, boilerplate)).all()


def test_banding_finds_the_same_candidates_as_datasketch_minhashlsh():
    """prep bands signatures with numpy instead of inserting rows into datasketch's index one by one (about 70 us
    a row); with the same signatures and (bands, rows), the candidate pairs must be the same."""
    from datasketch import MinHashLSH

    records, _ = injected(n_copies=150, seed=5)
    frame = pl.DataFrame(records[:600] + records[-150:]).with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    fp = mh.signatures_of(frame, CONFIG)
    entries = fp.searchable()
    sig = fp.signature[entries]
    bands, rows = CONFIG.bands, CONFIG.band_rows
    index = MinHashLSH(num_perm=CONFIG.num_perm, params=(bands, rows))
    sketches = [MinHash(num_perm=CONFIG.num_perm, seed=CONFIG.seed, hashvalues=s, scheme="affine32") for s in sig]
    for i, sketch in enumerate(sketches):
        index.insert(i, sketch)
    theirs = {(min(i, j), max(i, j)) for i, sketch in enumerate(sketches) for j in index.query(sketch) if j != i}
    ours = set()
    for band in range(bands):
        keys = mh.band_keys(sig, band, rows)
        order = np.argsort(keys, kind="stable")
        x, y = mh._pairs_in_runs(order, keys[order])
        ours.update(zip(x.tolist(), y.tolist()))
    assert theirs and ours == theirs


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60))))
def test_components_equal_union_find(graph):
    n, edges = graph
    union = oracles.UnionFind(n)
    for a, b in edges:
        union.union(a, b)
    expected = [union.find(i) for i in range(n)]
    assert mh.components(n, np.array(edges, dtype=np.int64).reshape(-1, 2)).tolist() == expected


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 0), (256, 12345), (1, 7)])
def test_permutations_are_datasketchs(num_perm, seed):
    """prep draws datasketch's affine32 permutation parameters itself (importing datasketch costs a second)."""
    from prep.measures.minhash import permutations

    a, b = permutations(num_perm, seed)
    theirs = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert np.array_equal(a, theirs[0]) and np.array_equal(b, theirs[1])


def _candidates_by_full_sort(signature, entries, config, groups=None):
    """candidate_pairs as first written: every entry sorted by band key with numpy's stable sort, pairs across the
    groups filtered afterwards."""
    import math

    sigma = math.sqrt(config.threshold * (1 - config.threshold) / config.num_perm)
    needed = math.ceil(max(0.0, config.threshold - 3 * sigma) * config.num_perm)
    sub, found = signature[entries], set()
    for band in range(config.bands):
        keys = mh.band_keys(sub, band, config.band_rows)
        order = np.argsort(keys, kind="stable")
        x, y = mh._pairs_in_runs(order, keys[order])
        if groups is not None:
            x, y = x[groups[x] != groups[y]], y[groups[x] != groups[y]]
        for a, b in zip(x.tolist(), y.tolist()):
            if np.count_nonzero(sub[a] == sub[b]) >= needed:
                found.add((int(entries[a]), int(entries[b])))
    return sorted(found)


@pytest.mark.parametrize("small_sort", [0, mh.SMALL_SORT])  # polars' sort and is_in, numpy's
@pytest.mark.parametrize("with_groups", [False, True])
def test_candidate_pairs_equal_the_full_sort_with_long_runs(with_groups, small_sort, monkeypatch):
    """Long runs (over BUCKET_ALL_PAIRS members, linked in a chain in entry order) and short ones, across two
    groups or not: the shared-run prefilter and the polars sort give exactly the pairs of the plain definition."""
    monkeypatch.setattr(mh, "SMALL_SORT", small_sort)
    rng = np.random.default_rng(5)
    config = mh.NearDupConfig()
    n = 3000
    signature = rng.integers(0, 1 << 32, size=(n, config.num_perm), dtype=np.uint64).astype(np.uint32)
    template = signature[0].copy()
    long_run = rng.choice(n, size=300, replace=False)  # one template shared by 300 rows: long runs in every band
    signature[long_run] = template
    signature[long_run[::3], :40] = rng.integers(0, 1 << 32, size=(len(long_run[::3]), 40), dtype=np.uint64)
    pairs = rng.choice(n, size=(200, 2))  # near copies: short runs
    signature[pairs[:, 1], 60:] = signature[pairs[:, 0], 60:]
    entries = np.sort(rng.choice(n, size=2600, replace=False))
    groups = (rng.random(len(entries)) < 0.15).astype(np.int8) if with_groups else None
    got = mh.candidate_pairs(signature, entries, config, groups)
    want = _candidates_by_full_sort(signature, entries, config, groups)
    assert len(want) > 100 and [tuple(p) for p in got.tolist()] == want
