"""Signatures of subsets assembled from per-row measures equal the signatures of each subset computed alone, and
prepare's leak re-check equals the leak rules run on the two subsets as files of their own."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest

from prep.measures import subsets
from prep.measures.minhash import NearDupConfig, signatures_of
from prep.measures.subsets import SubsetMeasures, shingle_words
from tests.oracles import leaking

CONFIG = NearDupConfig()


def _frame(n: int, seed: int = 3) -> pl.DataFrame:
    """Rows of random words; "please answer briefly" in about 10% of them (its shingles sit at the boilerplate
    share, so subsets disagree on whether they are boilerplate), one "thank you" in 40% (always boilerplate),
    exact copies, near copies and a few rows of one word or none."""
    rng = random.Random(seed)
    vocab = [f"v{i}" for i in range(400)]
    prompts = []
    for i in range(n):
        words = rng.choices(vocab, k=rng.randrange(4, 30))
        if rng.random() < 0.105:
            words[1:1] = ["please", "answer", "briefly"]
        if rng.random() < 0.4:
            words += ["thank", "you"]
        prompts.append(" ".join(words))
    for i in range(0, n, 37):  # exact copies and near copies of earlier rows
        prompts[i] = prompts[i // 2]
    for i in range(5, n, 41):
        prompts[i] = prompts[i - 3] + " v1"
    prompts[7], prompts[8], prompts[9] = "word", "", "please"
    return pl.DataFrame({"prompt": prompts, "completion": [rng.choice(["yes", "no", "maybe so"]) for _ in range(n)]})


def _alone(frame: pl.DataFrame, rows: np.ndarray):
    part = frame[rows].select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "prompt", "completion")
    return signatures_of(part, CONFIG)


def _assert_same(got, want) -> None:
    assert got.text.to_list() == want.text.to_list()
    assert np.array_equal(got.rows, want.rows)
    assert np.array_equal(got.representative, want.representative)
    assert np.array_equal(got.has_shingles, want.has_shingles)
    assert np.array_equal(got.boilerplate, want.boilerplate)
    reps = np.flatnonzero(want.representative == np.arange(len(want.representative)))
    assert np.array_equal(got.signature[reps], want.signature[reps])
    from prep.measures.minhash import all_band_keys

    assert np.array_equal(got.band_keys[reps], all_band_keys(want.signature[reps], CONFIG))


def _subsets(n: int, count: int, seed: int = 11):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        yield np.sort(rng.choice(n, size=int(n * rng.uniform(0.5, 0.95)), replace=False))


def test_each_subset_equals_its_signatures_computed_alone():
    frame = _frame(3000)
    measures = SubsetMeasures(frame, CONFIG)
    resigned, boilerplates = [], set()
    for rows in _subsets(frame.height, 12):
        resigned.append(measures.rebase(*measures.own_boilerplate(rows)))
        got, want = measures.signatures(rows), _alone(frame, rows)
        boilerplates.add(tuple(want.boilerplate.tolist()))
        _assert_same(got, want)
    assert len(boilerplates) > 1  # the test moved the boilerplate both ways ...
    distinct = len(measures.first)
    assert resigned[0] == distinct and sum(resigned[1:]) < distinct // 2  # ... and signed few texts again


def test_seeded_from_another_run_and_with_changed_rows():
    """Seeded with signatures computed on the whole table (as lint computes them), with some rows whose text has
    changed since (redacted): those are measured afresh."""
    frame = _frame(2500, seed=5)
    whole = signatures_of(frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64)), CONFIG)
    changed = frame.with_columns(
        pl.when(pl.int_range(pl.len()) % 50 == 0).then(pl.lit("[PERSON] called about v3 v4")).otherwise("prompt").alias("prompt")
    )
    entry = np.arange(frame.height)
    entry[::50] = -1
    measures = SubsetMeasures(changed, CONFIG, seed=(whole, entry))
    assert measures.signed == len(np.unique(measures.text_of[::50]))  # only the changed texts were signed
    for rows in _subsets(frame.height, 6, seed=2):
        measures.rebase(*measures.own_boilerplate(rows))
        _assert_same(measures.signatures(rows), _alone(changed, rows))


def test_a_shingle_whose_words_are_not_found_is_looked_for_in_every_text(monkeypatch):
    frame = _frame(2000, seed=8)
    measures = SubsetMeasures(frame, CONFIG)
    monkeypatch.setattr(subsets, "shingle_words", lambda texts, ngram, wanted: {})
    for rows in _subsets(frame.height, 6, seed=4):
        measures.rebase(*measures.own_boilerplate(rows))
        _assert_same(measures.signatures(rows), _alone(frame, rows))
    assert measures._holders and not measures._words  # holders were found, without the words


@pytest.mark.parametrize("ngram", [2, 3, 5])
def test_holders_found_by_words_are_the_texts_holding_the_shingle_hash(ngram):
    """Words inside longer words ("answer" in "answered", "v1" in "v12"), shingles at a text's start and end, and
    texts shorter than the n-gram (their one shingle is the whole text): the holders found by words are those
    found by hash."""
    from prep.measures.minhash import shingles

    config = NearDupConfig(ngram=ngram, compare="prompt")
    rng = random.Random(ngram)
    short = ["please answer", "answer", "v1 v12", "please"]
    prompts = [" ".join(rng.choices(["please", "answer", "answered", "briefly", "v1", "v12", "rewrite"], k=rng.randrange(0, 9)))
               for _ in range(600)] + short
    measures = SubsetMeasures(pl.DataFrame({"prompt": prompts, "completion": ["x"] * len(prompts)}), config)
    owner, h = shingles(measures.text.gather(measures.first), config.config().ngram)
    values = np.unique(h)
    measures._words = shingle_words(measures.text, config.config().ngram, values)
    assert len(measures._words) == len(values) > 20
    measures._find_holders(values.tolist())
    for value in values.tolist():
        want = np.unique(owner[h == np.uint64(value)])
        np.testing.assert_array_equal(measures._holders[value], want, err_msg=measures._words[value])


def test_shingle_words_spells_out_hashes():
    texts = pl.Series(["alpha beta gamma", "delta", "beta gamma epsilon"])
    from prep.measures.minhash import shingles

    owner, h = shingles(texts, 2)
    words = shingle_words(texts, 2, h)
    assert sorted(words.values()) == ["alpha beta", "beta gamma", "delta", "gamma epsilon"]
    assert shingle_words(texts, 2, np.array([12345], dtype=np.uint64)) == {}


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
def test_leak_check_equals_the_rules_on_the_subsets_as_files(seed):
    from prep.config import Settings
    from prep.engine import run as engine
    from prep.prepare.split import LeakCheck

    plan = engine.plan(Settings().with_overrides(select=("LK001",), models=("llama3-8b",)))
    frame = _frame(2400, seed=seed)
    rng = np.random.default_rng(seed)
    split = np.where(rng.random(frame.height) < 0.2, "validation", "train")
    frame = frame.with_columns(source=pl.lit(0, dtype=pl.Int64), row=pl.int_range(pl.len(), dtype=pl.Int64),
                               split=pl.Series(split))
    check = LeakCheck(frame, plan.rules, plan.models, plan.settings)
    for _ in range(4):  # move some training rows to validation and back: the boilerplate changes between checks
        got, want = check.leaking(frame), leaking(frame, plan.rules, plan.models, plan.settings)
        assert got.sort("row").to_dicts() == want.sort("row").to_dicts()
        assert want.height  # the data has leaks
        flip = rng.random(frame.height) < 0.05
        frame = frame.with_columns(split=pl.Series(np.where(flip, np.where(split == "train", "validation", "train"), split)))


def test_a_check_among_a_few_training_rows_equals_the_rule_computing_its_own_candidates(monkeypatch):
    """A check of a few moved training rows gets its LSH candidates from the measures (pairs_once): the leaks are
    those the rule finds when it computes the candidates itself on the same signatures."""
    import sys

    from prep.config import Settings
    from prep.engine import run as engine
    from prep.prepare.split import LeakCheck

    split_module = sys.modules["prep.prepare.split"]  # the package exports the function split under that name

    plan = engine.plan(Settings().with_overrides(select=("LK001",), models=("llama3-8b",)))
    frame = _frame(2400, seed=4)
    rng = np.random.default_rng(4)
    split = np.where(rng.random(frame.height) < 0.2, "validation", "train")
    frame = frame.with_columns(source=pl.lit(0, dtype=pl.Int64), row=pl.int_range(pl.len(), dtype=pl.Int64),
                               split=pl.Series(split))
    check = LeakCheck(frame, plan.rules, plan.models, plan.settings)
    assert check.leaking(frame).height  # the full check sets the boilerplate the checks among rows keep
    found = 0
    for share in (0.02, 0.1, 0.5):
        among = frame.filter((pl.col("split") == "train") & pl.Series(rng.random(frame.height) < share))
        got = check.leaking(frame, among=among.select("source", "row"))
        with monkeypatch.context() as patch:
            patch.setattr(split_module, "provide_cross_candidates", lambda *args: None)
            want = check.leaking(frame, among=among.select("source", "row"))
        assert got.sort("row").to_dicts() == want.sort("row").to_dicts()
        found += got.height
    assert found  # some of the chosen rows leak


def test_the_same_texts_given_by_the_leak_check_are_those_the_rule_finds(monkeypatch):
    """The exact-text matches the re-check provides from its text ids equal the rule's own join on the texts."""
    import sys

    from prep.config import Settings
    from prep.engine import run as engine
    from prep.engine.context import Context
    from prep.measures import neardup
    from prep.prepare.split import LeakCheck

    split_module = sys.modules["prep.prepare.split"]
    given = []
    monkeypatch.setattr(split_module, "provide_same_texts", lambda ctx, v, t, config, value: given.append((v, t, config, value)))
    plan = engine.plan(Settings().with_overrides(select=("LK001",), models=("llama3-8b",)))
    frame = _frame(2400, seed=6)
    rng = np.random.default_rng(6)
    frame = frame.with_columns(source=pl.lit(0, dtype=pl.Int64), row=pl.int_range(pl.len(), dtype=pl.Int64),
                               split=pl.Series(np.where(rng.random(frame.height) < 0.3, "validation", "train")))
    check = LeakCheck(frame, plan.rules, plan.models, plan.settings)
    leaks = check.leaking(frame)
    check.leaking(frame, among=leaks.head(0).vstack(frame.filter(pl.col("split") == "train").select("source", "row").head(300)))
    assert len(given) == 2
    for (validation, train, config, (v, t)), least in zip(given, (8, 3)):
        want = neardup.same_texts(Context([train, validation], plan.models, plan.settings), validation, train, config)
        assert len(want[0]) >= least
        np.testing.assert_array_equal(v, want[0])
        np.testing.assert_array_equal(t, want[1])


@pytest.mark.slow
def test_leak_check_seeded_from_the_lint_run_equals_the_rules_on_the_files(tmp_path):
    """Seeded with the lint run's signatures and exact keys, rows redacted since measured afresh: the same leaks
    as the rules find on the two subsets written out."""
    import json

    from prep.config import Settings
    from prep.engine import run as engine
    from prep.prepare import PrepareOptions, prepare_data
    from prep.prepare.split import LeakCheck

    frame = _frame(1500, seed=9)
    path = tmp_path / "data.jsonl"
    with path.open("w") as out:
        for i, (prompt, completion) in enumerate(frame.iter_rows()):
            if i % 40 == 0:
                prompt += f" write to maria.keller{i}@corp-mail.com today"  # not Jane Doe: a placeholder (PI001)
            out.write(json.dumps({"prompt": prompt, "completion": completion}) + "\n")
    settings = Settings().with_overrides(models=("llama3-8b",))
    prepared = prepare_data(path, settings=settings, options=PrepareOptions(duplicates="keep-all"))
    assert prepared.frame["redacted"].sum() > 10
    ctx = prepared.lint.context
    plan = engine.plan(settings.with_overrides(select=("LK001",)))
    rng = np.random.default_rng(1)
    live = prepared.frame["split"] != "excluded"
    moved = prepared.frame.with_columns(
        split=pl.when(live & pl.Series(rng.random(prepared.frame.height) < 0.3)).then(pl.lit("validation"))
        .otherwise("split"))
    check = LeakCheck(moved, plan.rules, plan.models, plan.settings, lint=(ctx, ctx.sources[0]))
    got = check.leaking(moved)
    assert got.height and got.sort("row").to_dicts() == leaking(moved, plan.rules, plan.models, plan.settings).sort("row").to_dicts()
    (measures,) = check._measures.values()  # one configuration: compare = "auto" resolved on the training rows
    assert measures.signed < 200  # most signatures came from the lint run
