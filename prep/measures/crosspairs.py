"""LSH candidate pairs across two subsets of one table's texts, kept from one call to the next.

``prep prepare`` checks the training rows against the validation rows again after moving a few rows between them
(and after the boilerplate estimate, and with it some signatures, moved). Most of the LSH is the same as in the
last check: a band's run of equal keys gives the same pairs unless one of its members changed. :class:`CrossPairs`
keeps each band's pairs with their run's key and recomputes only the runs that a changed text was or is in.

The pairs are exactly those of :func:`prep.measures.minhash.candidate_pairs` with ``groups`` on the concatenation
of the two subsets' entries (training entries first, each subset in table order), which is what the leak rule
computes on two files. That function's runs are sorted stably, so in a run every training entry comes before
every validation entry, in table order, and its pairs across the groups have a closed form:

- a run of at most ``BUCKET_ALL_PAIRS`` entries pairs every training entry with every validation entry;
- a longer run pairs each member with the run's first and with its predecessor: across the groups, the first
  training entry with every validation entry, and the last training entry with the first validation entry;

then a pair is kept when its signatures agree on enough values (the same filter).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from prep.measures.minhash import (
    BUCKET_ALL_PAIRS,
    NearDupConfig,
    agreeing_values,
    in_sorted,
)
from prep.tokenizers import thread_count

_CHUNK = 1 << 15  # pairs compared at a time


def run_pairs(key: np.ndarray, side: np.ndarray, position: np.ndarray, text: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(training text, validation text, run key) of the pairs across the sides in every run of equal ``key``
    among these entries (``side`` 0 training, 1 validation; ``position`` orders the entries of a side), by the
    closed form above: no run's pairs within a side are made."""
    empty = np.zeros(0, np.int64)
    if not len(key):
        return empty, empty, np.zeros(0, np.uint64)
    order = np.lexsort((position, side, key))
    key, side, text = key[order], side[order], text[order]
    start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    size = np.diff(np.r_[start, len(key)])
    trains = np.add.reduceat((side == 0).astype(np.int64), start)  # training entries lead each run
    valids = size - trains
    both = (trains > 0) & (valids > 0)
    small = both & (size <= BUCKET_ALL_PAIRS)
    # every training entry with every validation entry: each validation entry repeated once per training entry
    s_start, s_t, s_v = start[small], trains[small], valids[small]
    v_at = np.repeat(s_start + s_t, s_v) + (np.arange(s_v.sum()) - np.repeat(np.cumsum(s_v) - s_v, s_v))
    v_t = np.repeat(s_t, s_v)  # training entries of each validation entry's run
    v_run = np.repeat(s_start, s_v)
    left = np.repeat(v_run, v_t) + (np.arange(v_t.sum()) - np.repeat(np.cumsum(v_t) - v_t, v_t))
    right = np.repeat(v_at, v_t)
    # long runs: the first training entry with every validation entry, the last with the first validation entry
    big = both & (size > BUCKET_ALL_PAIRS)
    b_start, b_t, b_v = start[big], trains[big], valids[big]
    b_right = np.repeat(b_start + b_t, b_v) + (np.arange(b_v.sum()) - np.repeat(np.cumsum(b_v) - b_v, b_v))
    left = np.r_[left, np.repeat(b_start, b_v), b_start + b_t - 1]
    right = np.r_[right, b_right, b_start + b_t]
    return text[left], text[right], key[left]


_FEW = 4096  # a side this small is looked up by a bit table, not a hash set


def _shared(key: np.ndarray, train: np.ndarray, validation: np.ndarray) -> np.ndarray:
    """The texts of ``train`` and ``validation`` whose key the other subset also has (only their runs give pairs
    across): each side looked up among the other's keys, by polars (a hash set of the smaller side's hits), or by
    :func:`~prep.measures.minhash.in_sorted` when one side is a few texts (a few moved rows)."""
    if min(len(train), len(validation)) <= _FEW:
        few, many = (train, validation) if len(train) <= len(validation) else (validation, train)
        many = many[in_sorted(key[many], np.sort(key[few]))]
        few = few[in_sorted(key[few], np.sort(key[many]))]
        return np.union1d(few, many)
    t_keys, v_keys = pl.Series(key[train]), pl.Series(key[validation])
    t_hit = t_keys.is_in(v_keys.implode()).to_numpy()
    v_hit = v_keys.is_in(t_keys.filter(pl.Series(t_hit)).implode()).to_numpy()
    return np.union1d(train[t_hit], validation[v_hit])


class CrossPairs:
    """Candidate pairs across a training and a validation subset of one table's distinct texts, call after call.

    Each call gives, per distinct text, its signature (``signature[ids]`` gives rows), band keys (an array of
    bands by texts) and whether it has shingles (the measures under the current boilerplate), its table position in each subset (-1 when the subset does not hold it) and which
    texts changed signature since the last call; it returns the (training text, validation text) candidate pairs,
    sorted by the two positions.

    Each band's pairs are kept before the agreement filter, with their run's key. A call recomputes only the runs
    that a text entered or left: a text that moved or whose band key changed, at its old key and its new one (a
    changed signature leaves most band keys as they were). The first call computes every run both subsets share.
    The filter then runs on the union of the bands' pairs, which is small beside the rows."""

    def __init__(self, config: NearDupConfig) -> None:
        self.config = config.config()
        self._needed = agreeing_values(self.config)
        self._train: np.ndarray | None = None  # each text's training position at the last call (-1: not an entry)
        self._validation: np.ndarray | None = None
        self._keys: np.ndarray | None = None  # band keys at the last call, (bands, texts)
        self._codes = np.zeros(0, np.int64)  # the last call's unfiltered pairs (training * texts + validation)
        self._passed = np.zeros(0, bool)  # and whether each passed the agreement filter
        self._found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # per band: unfiltered pairs, run keys
        self.recomputed = 0  # entries of recomputed runs in the last call, for the tests and the benchmark

    def pairs(self, signature: np.ndarray, keys: np.ndarray, has: np.ndarray, train: np.ndarray,
              validation: np.ndarray, changed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        train = np.where(has, train, -1)  # only texts with shingles take part
        validation = np.where(has, validation, -1)
        entry = (train >= 0) | (validation >= 0)
        entries = np.flatnonzero(entry)
        if self._train is None:
            found, self.recomputed = _every_run(keys, train, validation, self.config.bands)
        else:
            was = (self._train >= 0) | (self._validation >= 0)
            moved = (train != self._train) | (validation != self._validation)
            ids = np.flatnonzero(changed | moved)

            def band_pairs(band: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
                old_t, old_v, old_run = self._found[band]
                key = keys[band]
                old, new = self._keys[band, ids], key[ids]
                hit = moved[ids] | (old != new)
                touched = np.unique(np.r_[old[hit & was[ids]], new[hit & entry[ids]]])
                kept = ~in_sorted(old_run, touched)
                members = entries[in_sorted(key[entries], touched)]
                t_text, v_text, run = _runs(members, key, train, validation)
                return (np.r_[old_t[kept], t_text], np.r_[old_v[kept], v_text], np.r_[old_run[kept], run]), len(members)

            found, self.recomputed = _each_band(band_pairs, self.config.bands)
        if self._keys is None:
            self._keys = keys.copy()  # keys may be updated in place by the caller
        else:
            self._keys[:, ids] = keys[:, ids]
        self._found = found
        self._train, self._validation = train, validation
        n = len(signature)
        codes = _distinct(found, n)
        # the filter depends on the two signatures only: a pair filtered last time, of unchanged texts, keeps its result
        fresh = np.ones(len(codes), dtype=bool)
        keep = np.zeros(len(codes), dtype=bool)
        if len(self._codes):
            at = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            fresh = (self._codes[at] != codes) | changed[codes // n] | changed[codes % n]
            keep[~fresh] = self._passed[at[~fresh]]
        keep[fresh] = _agree(signature, codes[fresh], n, self._needed)
        self._codes, self._passed = codes, keep
        return _ordered(codes[keep], n, train, validation)



def pairs_once(config: NearDupConfig, signature, keys: np.ndarray, has: np.ndarray, train: np.ndarray,
               validation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a first :meth:`CrossPairs.pairs` call gives, keeping nothing: for a check that is not repeated (the
    re-check of a few moved training rows against the validation rows)."""
    config = config.config()
    train, validation = np.where(has, train, -1), np.where(has, validation, -1)
    found, _ = _every_run(keys, train, validation, config.bands)
    n = len(signature)
    codes = _distinct(found, n)
    return _ordered(codes[_agree(signature, codes, n, agreeing_values(config))], n, train, validation)


def _every_run(keys: np.ndarray, train: np.ndarray, validation: np.ndarray, bands: int):
    """Each band's pairs of every run the two subsets share (see :func:`_each_band`)."""
    in_train, in_validation = np.flatnonzero(train >= 0), np.flatnonzero(validation >= 0)

    def band_pairs(band: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]:
        members = _shared(keys[band], in_train, in_validation)
        return _runs(members, keys[band], train, validation), len(members)

    return _each_band(band_pairs, bands)


def _each_band(band_pairs, bands: int) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], int]:
    """Each band's (pairs, entries of the runs computed), and the entries in all."""
    with ThreadPoolExecutor(thread_count()) as pool:  # bands are independent; numpy releases the GIL
        done = list(pool.map(band_pairs, range(bands)))
    return [pairs for pairs, _ in done], sum(count for _, count in done)


def _runs(members: np.ndarray, key: np.ndarray, train: np.ndarray, validation: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs across the subsets of the runs of ``members`` (texts; an entry per subset holding one)."""
    in_train, in_validation = members[train[members] >= 0], members[validation[members] >= 0]
    text = np.r_[in_train, in_validation]
    side = np.r_[np.zeros(len(in_train), np.int8), np.ones(len(in_validation), np.int8)]
    return run_pairs(key[text], side, np.r_[train[in_train], validation[in_validation]], text)


def _distinct(found: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """The distinct pairs of all bands as sorted codes (training text * ``n`` + validation text): polars' unique
    and sort, several times faster than ``np.unique`` on the millions of pairs a full check holds."""
    codes = pl.Series(np.concatenate([t * n + v for t, v, _ in found]), dtype=pl.Int64)
    return codes.unique().sort().to_numpy()


def _agree(signature, codes: np.ndarray, n: int, needed: int) -> np.ndarray:
    """Whether each pair (``codes``: training text * ``n`` + validation text) agrees on ``needed`` values."""
    keep = np.zeros(len(codes), dtype=bool)
    for lo in range(0, len(codes), _CHUNK):
        part = codes[lo : lo + _CHUNK]
        keep[lo : lo + _CHUNK] = np.count_nonzero(signature[part // n] == signature[part % n], axis=1) >= needed
    return keep


def _ordered(codes: np.ndarray, n: int, train: np.ndarray, validation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (training text, validation text) sorted by their positions in the two subsets."""
    t_text, v_text = codes // n, codes % n
    order = np.lexsort((validation[v_text], train[t_text]))
    return t_text[order], v_text[order]
