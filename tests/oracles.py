"""Slow, obviously correct versions of prep's vectorised kernels, for tests to compare against."""

from __future__ import annotations

from collections.abc import Sequence

from prep.measures import minhash as mh


def combine_python(hashes: Sequence[int]) -> int:
    """The shingle hash of one n-gram from its word hashes, one multiply-add at a time."""
    h = hashes[0]
    for nxt in hashes[1:]:
        h = (h * mh._COMBINE + nxt) & mh._MASK64
    return h


class UnionFind:
    """Disjoint sets over 0..n-1; a set's root is always its smallest member (unions attach the larger root)."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx < ry:
            self.parent[ry] = rx
        elif ry < rx:
            self.parent[rx] = ry


def leaking(frame, rules, models, settings):
    """The definition :class:`prep.prepare.split.LeakCheck` must meet: ``source`` and ``row`` of the validation rows
    (``split`` validation) each leak rule finds in the training rows (``split`` train), the two written as sources
    of their own and checked in a fresh context (every measure computed from the text, nothing shared)."""
    import polars as pl

    from prep.engine.context import Context
    from prep.prepare.split import _subset

    train = frame.filter(pl.col("split") == "train")
    validation = frame.filter(pl.col("split") == "validation")
    if not train.height or not validation.height or not rules:
        return validation.select("source", "row").head(0)
    sources = [_subset(train, "train", "train"), _subset(validation, "validation", "validation")]
    ctx = Context(sources, models, settings)
    rows: set[int] = set()
    for rule in rules:
        rows |= rule.leaking(ctx, sources[1], sources[0])
    return validation.select("source", "row").with_row_index("i").filter(pl.col("i").is_in(sorted(rows))).drop("i")
