"""The straightforward implementation that ``bench/perf.py`` measures prep against.

:func:`install` swaps prep's three heavy kernels for the obvious way to use the same libraries, leaving every
rule, the reader and the reporters as they are, so that both implementations must produce identical findings:

- **tokens**: every row of every field is tokenized, one ``encode`` call per text (no byte bound, no batching,
  one thread), for every tokenizer family the run needs;
- **MinHash**: per row, split into words, hash each word (polars' hash, the one prep uses, called per row),
  combine the n-gram hashes in Python, and ``datasketch.MinHash.update`` once per shingle;
- **PII**: presidio's ``AnalyzerEngine.analyze`` on every text with every entity type, presidio's own
  PhoneRecognizer and the spaCy pipeline's tokens (no prefilter, no windows), in one process.

The policies stay prep's: PII is looked for in a text's first ``SCAN_CHARS`` characters. Token counts here are
exact for every text, where prep estimates texts over ``LONG_TEXT_BYTES`` (1 MiB): findings are identical only on
files without such texts, as the generated ones are.

Nothing in prep imports this module; it changes prep only in the process that calls :func:`install`, and refuses
to run if an attribute it replaces has moved.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import polars as pl

#: How often each straightforward kernel ran, so the benchmark can show that they did.
CALLS: Counter[str] = Counter()


def _count_tokens_bounded(family, texts, enough=None):
    from prep.tokenizers import BoundedCounts, get_tokenizer

    tokenizer = get_tokenizer(family)
    CALLS["tokenizer encode (one text)"] += len(texts)
    counts = np.array([len(tokenizer.encode(text)) for text in texts], dtype=np.int64)  # whole texts, exact
    return BoundedCounts(counts, np.zeros(len(texts), dtype=bool), np.zeros(len(texts), dtype=np.int64))


def _tokens_near_budget(ctx, source, field_name, family):
    from prep.measures.tokens import token_counts

    return token_counts(ctx, source, field_name, family)  # no byte bound: exact counts for every row


def _shingles(texts, ngram):
    from prep.measures import minhash as mh

    owners, hashes = [], []
    for i, text in enumerate(texts.to_list()):
        if not text:
            continue
        words = text.split(" ")
        h = [int(v) for v in pl.Series(words).hash(seed=mh._WORD_SEED).to_list()]
        grams = [h[k : k + ngram] for k in range(len(h) - ngram + 1)] if len(h) >= ngram else [h]
        for gram in grams:
            combined = gram[0]
            for nxt in gram[1:]:
                combined = (combined * mh._COMBINE + nxt) & mh._MASK64
            owners.append(i)
            hashes.append(combined)
    return np.array(owners, dtype=np.int64), np.array(hashes, dtype=np.uint64)


def _signatures(owner, h64, n_rows, config):
    from datasketch import MinHash

    out = np.full((n_rows, config.num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1], True]) if len(owner) else np.zeros(1, np.int64)
    for lo, hi in itertools.pairwise(bounds):
        m = MinHash(num_perm=config.num_perm, seed=config.seed, scheme="affine32", hashfunc=lambda v: v)
        CALLS["datasketch MinHash.update (one shingle)"] += int(hi - lo)
        for value in h64[lo:hi].tolist():
            m.update(((value >> 32) ^ value) & 0xFFFFFFFF)  # prep's 64 -> 32-bit fold (minhash.to_hash32)
        out[owner[lo]] = m.hashvalues
    return out


def _detect(self, texts, processes=None):
    from prep.limits import SCAN_CHARS

    found = {}
    # the same policy as prep: only the first SCAN_CHARS characters of a text are checked (prep.limits)
    for i, text in enumerate(texts.cast(pl.String).str.slice(0, SCAN_CHARS).to_list()):
        CALLS["presidio analyze (one text)"] += 1
        detections = self.analyze(text)  # every entity type, presidio's PhoneRecognizer, spaCy tokens
        if detections:
            found[i] = detections
    return found


class _OnDemand:
    """What PI001 gets from ``Detector.detect_many``: here, every text analysed when the result is asked for."""

    def __init__(self, detector, columns):
        self.detector, self.columns = detector, columns

    def result(self):
        return [_detect(self.detector, texts) for texts in self.columns]

    def close(self, abort=False):
        pass


def _detect_many(self, columns, processes=None):
    return _OnDemand(self, columns)


#: (module, attribute, replacement): every patched attribute must already exist, or prep has moved and the
#: straightforward run would silently measure prep's own kernels.
_PATCHES = (
    ("prep.measures.tokens", "count_tokens_bounded", _count_tokens_bounded),
    ("prep.measures.tokens", "tokens_near_budget", _tokens_near_budget),
    ("prep.measures.minhash", "shingles", _shingles),
    ("prep.measures.verify", "shingles", _shingles),  # the exact check's shingle sets
    ("prep.measures.minhash", "signatures", _signatures),
    ("prep.measures.pii.detector", "Detector.detect", _detect),
    ("prep.measures.pii.detector", "Detector.detect_many", _detect_many),
)


def install() -> None:
    from importlib import import_module

    for module, attribute, replacement in _PATCHES:
        owner = import_module(module)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        if not hasattr(owner, name):
            raise RuntimeError(f"bench/naive.py: {module}.{attribute} is gone; update the patch list")
        setattr(owner, name, replacement)
