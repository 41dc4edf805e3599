"""Exact verification of near-duplicate candidates: the true Jaccard similarity of two texts' shingle sets.

Step 6 of :mod:`prep.measures.minhash`: MinHash and LSH propose candidate pairs; this module keeps only those
whose shingle sets really reach the threshold, with and without the boilerplate shingles, over flat numpy
arrays (no Python object per shingle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from prep.measures.minhash import NearDupConfig, is_boilerplate, shingles

_U64 = np.uint64


@dataclass
class ShingleTable:
    """The exact shingle sets of some texts, as flat numpy arrays (no Python object per shingle).

    ``key`` holds, sorted, one 64-bit key per distinct (text, shingle), for membership tests;
    ``shingle``/``boilerplate`` list each text's distinct shingles contiguously (``start``, ``count``), and
    ``content`` counts those that are not boilerplate.
    """

    key: np.ndarray
    shingle: np.ndarray
    boilerplate: np.ndarray
    start: np.ndarray
    count: np.ndarray
    content: np.ndarray


_TEXT_BITS = 24  # texts per table (16.7M); the other 40 bits of a key are the shingle hash's top bits


def _member_key(text: np.ndarray, shingle: np.ndarray) -> np.ndarray:
    """Sortable key of (text, shingle): the text index in the top 24 bits and the shingle hash's top 40 bits
    below, so that one text's keys are contiguous and lookups stay in cache. Two distinct shingles of one text
    share a key with probability about 1e-12 per pair."""
    return (text.astype(_U64) << _U64(64 - _TEXT_BITS)) | (shingle >> _U64(_TEXT_BITS))


# Texts shingled and sorted at a time, to bound the temporary arrays (100,000 peaked 156 MB higher at 200 MB).
SHINGLE_TABLE_TEXTS = 16_384


def shingle_table(texts: pl.Series, config: NearDupConfig, boilerplate: np.ndarray) -> ShingleTable:
    """Built in slices of texts: a key's top bits are the text index, so the slices' sorted keys concatenate to
    the sorted keys of all, and within the key order each text's shingles are already contiguous."""
    if len(texts) >= 1 << _TEXT_BITS:
        raise ValueError(f"at most {1 << _TEXT_BITS:,} texts per shingle table")
    keys, hashes, counts = [np.zeros(0, _U64)], [np.zeros(0, _U64)], [np.zeros(0, np.int64)]
    for lo in range(0, len(texts), SHINGLE_TABLE_TEXTS):
        part = texts.slice(lo, SHINGLE_TABLE_TEXTS)
        owner, h = shingles(part, config.ngram)
        key = _member_key(owner + lo, h)
        order = np.argsort(key)
        key = key[order]
        distinct = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
        keep = order[distinct]
        del order
        keys.append(key[distinct])
        hashes.append(h[keep])
        counts.append(np.bincount(owner[keep], minlength=len(part)))
        del owner, h, key, distinct, keep
    key, h, count = np.concatenate(keys), np.concatenate(hashes), np.concatenate(counts).astype(np.int64)
    del keys, hashes
    flags = is_boilerplate(h, boilerplate)
    owner = np.repeat(np.arange(len(count)), count)
    content = np.bincount(owner, weights=~flags, minlength=len(count)).astype(np.int64)
    return ShingleTable(key, h, flags, np.r_[0, np.cumsum(count)[:-1]].astype(np.int64), count, content)


def pair_similarities(
    left: ShingleTable, right: ShingleTable, x: np.ndarray, y: np.ndarray, chunk: int = 1 << 15
) -> tuple[np.ndarray, np.ndarray]:
    """Exact Jaccard similarities of text pairs (``x`` in ``left``, ``y`` in ``right``): of the full shingle sets,
    and of the sets without boilerplate (NaN when both are empty). Vectorised: each shingle of the smaller set is
    looked up in the other's sorted keys, one ``searchsorted`` per chunk of pairs (see :func:`_member_key`)."""
    full = np.zeros(len(x), dtype=np.float64)
    content = np.zeros(len(x), dtype=np.float64)
    for lo in range(0, len(x), chunk):
        xs, ys = x[lo : lo + chunk], y[lo : lo + chunk]
        inter = np.zeros(len(xs))
        inter_content = np.zeros(len(xs))
        swap = left.count[xs] > right.count[ys]
        for flipped in (False, True):
            sel = np.flatnonzero(swap == flipped)
            if not len(sel):
                continue
            query, target = (right, left) if flipped else (left, right)
            q_rows, t_rows = (ys[sel], xs[sel]) if flipped else (xs[sel], ys[sel])
            lengths = query.count[q_rows]
            which = np.repeat(np.arange(len(sel)), lengths)
            at = query.start[q_rows][which] + np.arange(len(which)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            wanted = _member_key(t_rows[which], query.shingle[at])
            if len(target.key):
                pos = np.minimum(np.searchsorted(target.key, wanted), len(target.key) - 1)
                hit = target.key[pos] == wanted
            else:
                hit = np.zeros(len(wanted), dtype=bool)
            inter[sel] = np.bincount(which, weights=hit, minlength=len(sel))
            inter_content[sel] = np.bincount(which, weights=hit & ~query.boilerplate[at], minlength=len(sel))
        union = left.count[xs] + right.count[ys] - inter
        full[lo : lo + chunk] = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
        union_c = left.content[xs] + right.content[ys] - inter_content
        content[lo : lo + chunk] = np.where(union_c > 0, inter_content / np.maximum(union_c, 1), np.nan)
    return full, content


def near_duplicate_pairs(full: np.ndarray, content: np.ndarray, threshold: float) -> np.ndarray:
    """Which pairs are near duplicates: both their full shingle sets and their sets without boilerplate reach the
    threshold. The full-set similarity is the one reported, since anyone can re-check it from the text; the
    content condition keeps a shared instruction or preamble from making unrelated rows look alike, so
    boilerplate can only remove pairs, never add one. Rows with nothing but boilerplate match nothing."""
    return (full >= threshold) & (np.nan_to_num(content, nan=-1.0) >= threshold)
