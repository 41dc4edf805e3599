"""CrossPairs, call after call, gives exactly the cross-group candidate pairs of a full LSH on the two subsets."""

import numpy as np
import pytest

from prep.measures import crosspairs
from prep.measures.crosspairs import CrossPairs, pairs_once, run_pairs
from prep.measures.minhash import (
    BUCKET_ALL_PAIRS,
    NearDupConfig,
    all_band_keys,
    candidate_pairs,
)

CONFIG = NearDupConfig().config()


def _signatures(rng, n):
    """Signatures with many shared bands: a few templates, each copied with some values redrawn, some texts from
    a tiny alphabet (long runs of equal keys, over BUCKET_ALL_PAIRS members)."""
    templates = rng.integers(0, 2**32, (12, CONFIG.num_perm), dtype=np.uint32)
    signature = templates[rng.integers(0, len(templates), n)].copy()
    redraw = rng.random(signature.shape) < rng.choice([0.05, 0.3, 0.9], n)[:, None]
    signature[redraw] = rng.integers(0, 2**32, redraw.sum(), dtype=np.uint32)
    tiny = rng.random(n) < 0.3
    signature[tiny] = rng.integers(0, 2, (tiny.sum(), CONFIG.num_perm), dtype=np.uint32)
    return signature


def _full(signature, keys, has, train, validation):
    """The leak rule's computation: candidate_pairs with groups over the training then the validation entries."""
    t = np.flatnonzero((train >= 0) & has)
    t = t[np.argsort(train[t])]
    v = np.flatnonzero((validation >= 0) & has)
    v = v[np.argsort(validation[v])]
    text = np.r_[t, v]
    groups = np.r_[np.zeros(len(t), np.int8), np.ones(len(v), np.int8)]
    pairs = candidate_pairs(signature[text], np.arange(len(text)), CONFIG, groups, keys[text])
    return text[pairs[:, 0]], text[pairs[:, 1]]


def _sides(rng, n):
    where = rng.choice(4, n, p=[0.6, 0.25, 0.05, 0.1])  # train, validation, both, neither
    position = rng.permutation(2 * n)
    train = np.where((where == 0) | (where == 2), position[:n], -1)
    validation = np.where((where == 1) | (where == 2), position[n:], -1)
    return train, validation


@pytest.mark.parametrize("few", [pytest.param(0, marks=pytest.mark.slow), 1 << 20], ids=["hash-set", "bit-table"])
@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)])
def test_each_call_equals_the_full_lsh_as_rows_move_and_signatures_change(seed, few, monkeypatch):
    monkeypatch.setattr(crosspairs, "_FEW", few)  # each way of finding the keys both sides share
    rng = np.random.default_rng(seed)
    n = 3000
    signature = _signatures(rng, n)
    has = rng.random(n) < 0.97
    train, validation = _sides(rng, n)
    cross = CrossPairs(CONFIG)
    changed = np.zeros(n, dtype=bool)
    for step in range(6):
        keys = all_band_keys(signature, CONFIG)
        got = cross.pairs(signature, np.ascontiguousarray(keys.T), has, train, validation, changed)
        want = _full(signature, keys, has, train, validation)
        assert len(want[0]) > 100
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        once = pairs_once(CONFIG, signature, np.ascontiguousarray(keys.T), has, train, validation)
        np.testing.assert_array_equal(once[0], want[0])
        np.testing.assert_array_equal(once[1], want[1])
        if step:
            assert cross.recomputed < n * CONFIG.bands  # only touched runs were recomputed
        # move some texts between the sides (as prepare moves leaking rows to training), change some signatures
        move = np.flatnonzero((validation >= 0) & (rng.random(n) < 0.1))
        train[move] = np.where(train[move] >= 0, train[move], validation[move])
        validation[move] = -1
        back = np.flatnonzero((train >= 0) & (validation < 0) & (rng.random(n) < 0.02))
        validation[back], train[back] = train[back], -1
        changed = rng.random(n) < 0.02
        signature = signature.copy()
        signature[changed, rng.integers(0, CONFIG.num_perm)] ^= np.uint32(1)
        flip = rng.random(n) < 0.01
        has = has ^ flip
        changed |= flip


def test_long_runs_pair_the_first_training_entry_with_every_validation_entry():
    # one run: training texts 0..69 (positions in order), validation texts 70..99
    n = 100
    key = np.zeros(n, np.uint64)
    side = np.r_[np.zeros(70, np.int8), np.ones(30, np.int8)]
    position = np.arange(n)
    t, v, _ = run_pairs(key, side, position, np.arange(n))
    assert n > BUCKET_ALL_PAIRS
    assert sorted(zip(t.tolist(), v.tolist())) == sorted([(0, j) for j in range(70, 100)] + [(69, 70)])
    small = np.arange(10)
    t, v, _ = run_pairs(key[:10], np.r_[np.zeros(4, np.int8), np.ones(6, np.int8)], position[:10], small)
    assert sorted(zip(t.tolist(), v.tolist())) == [(a, b) for a in range(4) for b in range(4, 10)]
