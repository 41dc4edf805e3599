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
