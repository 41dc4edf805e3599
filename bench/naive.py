"""The straightforward implementation that ``bench/perf.py`` measures prep against.

:func:`install` swaps prep's three heavy kernels for the obvious way to use the same libraries, leaving every
rule, the reader and the reporters as they are, so that both implementations must produce identical findings:

- **tokens**: every row of every field is tokenized, one ``encode`` call per text (no byte bound, no batching,
  one thread), for every tokenizer family the run needs;
- **MinHash**: per row, split into words, hash each word (polars' hash, the one prep uses, called per row),
  combine the n-gram hashes in Python, and ``datasketch.MinHash.update`` once per shingle;
- **PII**: presidio's ``AnalyzerEngine.analyze`` on every text with every entity type, presidio's own
  PhoneRecognizer and the spaCy pipeline's tokens (no prefilter, no windows), in one process.

Nothing in prep imports this module; it changes prep only in the process that calls :func:`install`.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import polars as pl

#: How often each straightforward kernel ran, so the benchmark can show that they did.
CALLS: Counter[str] = Counter()


def _count_tokens_family(family, texts):
    from prep.tokenizers import get_tokenizer

    tokenizer = get_tokenizer(family)
    CALLS["tokenizer encode (one text)"] += len(texts)
    return np.array([len(tokenizer.encode(text)) for text in texts], dtype=np.int64)


def _tokens_near_budget(self, source, field_name, family):
    return self.tokens(source, field_name, family)  # no bound: exact counts for every row


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
            owners.append(i)
            hashes.append(mh.combine_python(gram))
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
    found = {}
    for i, text in enumerate(texts.cast(pl.String).to_list()):
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


def install() -> None:
    import prep.engine
    import prep.measures.minhash
    import prep.measures.pii

    prep.engine.count_tokens_family = _count_tokens_family
    prep.engine.Context.tokens_near_budget = _tokens_near_budget
    prep.measures.minhash.shingles = _shingles
    prep.measures.minhash.signatures = _signatures
    prep.measures.pii.Detector.detect = _detect
    prep.measures.pii.Detector.detect_many = _detect_many
