"""Word n-gram shingles of normalised texts, hashed over whole columns: step 2 of :mod:`prep.measures.minhash`.

Words are hashed with polars' vectorised hash under a fixed seed and n-gram hashes combined from them with numpy.
In a prompt + completion comparison the completion's shingles carry :data:`FIELD_SALT`: a shingle's identity
includes its field, so boilerplate is counted per field and the same words in the prompt are another shingle.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

# Separates prompt from completion in the compared text; survives normalisation (it is added after it).
FIELD_SEPARATOR = "\u2402"
# Shingles of the completion (after FIELD_SEPARATOR) are XORed with this, so that a shingle's identity includes its
# field: boilerplate is then counted per field (``int main`` frequent in code completions is not a prompt's).
FIELD_SALT = 0xC2B2AE3D27D4EB4F
_U64 = np.uint64
_COMBINE = 0x9E3779B97F4A7C15  # the 64-bit golden ratio, an odd multiplier
_WORD_SEED = 0x5EED


def word_hashes(words: pl.Series) -> np.ndarray:
    """64-bit hashes of words, with polars' vectorised hash under a fixed seed: the same in every process for a
    given polars version (the version is part of :meth:`NearDupConfig.config_id`)."""
    return words.hash(seed=_WORD_SEED).to_numpy().astype(_U64, copy=False)


def shingles(texts: pl.Series, ngram: int) -> tuple[np.ndarray, np.ndarray]:
    """Word n-gram shingles of each text: (owner index into ``texts``, 64-bit shingle hash), owner-ordered.

    Texts are normalised (words separated by single spaces). Texts with no words have no shingles; a text with
    fewer than ``ngram`` words has one shingle of all of them. A shingle's hash is ``h1 * C + h2 ...`` over its
    words' hashes (mod 2^64, C odd): order-sensitive, and mixed again before MinHash by the affine32 scheme.
    """
    if len(texts) == 0:
        return np.zeros(0, np.int64), np.zeros(0, _U64)
    words_per_text = (
        pl.when(texts.str.len_bytes() > 0).then(texts.str.count_matches(" ", literal=True) + 1).otherwise(0)
    )
    counts = pl.select(words_per_text.alias("n"))["n"].to_numpy().astype(np.int64)
    h = word_hashes(
        pl.DataFrame({"text": texts})
        .lazy()
        .select(pl.col("text").str.split(" ").explode())
        .collect(engine="streaming")["text"]
    )
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), np.maximum(counts, 1))
    if (counts == 0).any():  # an empty text splits into one empty word
        keep = np.repeat(counts > 0, np.maximum(counts, 1))
        owner, h = owner[keep], h[keep]
    n = len(h)
    if n == 0:
        return owner, h
    length = counts[owner]  # words in the row of each position
    first = np.r_[True, owner[1:] != owner[:-1]]
    combined = h.copy()
    for k in range(1, ngram):
        combined[: n - k] = combined[: n - k] * _U64(_COMBINE) + h[k:]
    # A full n-gram starts at i when position i + n - 1 is in the same row.
    full = np.zeros(n, dtype=bool)
    if n >= ngram:
        full[: n - ngram + 1] = owner[ngram - 1 :] == owner[: n - ngram + 1]
    short = first & (length < ngram)
    if short.any():
        # Rows shorter than n: one shingle of all their words (rare, so a small loop over their lengths).
        positions = np.flatnonzero(short)
        value = h[positions].copy()
        for k in range(1, ngram - 1):
            has = length[positions] > k
            value[has] = value[has] * _U64(_COMBINE) + h[positions[has] + k]
        combined[positions] = value
    keep = full | short
    completion_side = _after_separator(h, owner, first)
    if completion_side is not None:
        combined[completion_side] ^= _U64(FIELD_SALT)
    return owner[keep], combined[keep]


@functools.cache
def separator_hash() -> int:
    """The word hash of :data:`FIELD_SEPARATOR`."""
    return int(word_hashes(pl.Series([FIELD_SEPARATOR], dtype=pl.String))[0])


def _after_separator(h: np.ndarray, owner: np.ndarray, first: np.ndarray) -> np.ndarray | None:
    """Which word positions come after their row's field separator (the completion's shingles start there), or
    None when no row has one (a prompt-only or completion-only comparison)."""
    is_sep = h == _U64(separator_hash())
    if not is_sep.any():
        return None
    before = np.cumsum(is_sep) - is_sep  # separators strictly before each position, over all rows
    starts = np.flatnonzero(first)
    base = np.repeat(before[starts], np.diff(np.r_[starts, len(h)]))  # ... before each position's row
    return (before - base) > 0
