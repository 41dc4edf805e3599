"""Near-duplicate clusters (DU002) and training/validation leaks (LK001), over :mod:`prep.minhash`.

Both rules, and later ``prep prepare``, call :func:`clusters` and :func:`leaks`; the fingerprints behind them are
computed once per run by :meth:`prep.engine.Context.fingerprints`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from prep.dataset import Source
from prep.engine import Context
from prep.minhash import (
    jaccard,
    COMPARE,
    Fingerprints,
    NearDupConfig,
    UnionFind,
    candidate_pairs,
    shingle_sets,
    similarity,
    verify,
)


@dataclass(frozen=True)
class NearDupOptions:
    """Options shared by DU002 and LK001 (kebab-case in config: ``num-perm``, ``boilerplate-share``, ...)."""

    threshold: float = 0.6
    compare: str = "prompt+completion"
    ngram: int = 2
    num_perm: int = 128
    seed: int = 1
    nfkc: bool = True
    lowercase: bool = True
    strip_punctuation: bool = True
    boilerplate_share: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.compare not in COMPARE:
            raise ValueError(f"compare must be one of {', '.join(COMPARE)}, got {self.compare!r}")
        if not 1 <= self.ngram <= 10:
            raise ValueError(f"ngram must be from 1 to 10, got {self.ngram}")
        if not 16 <= self.num_perm <= 1024:
            raise ValueError(f"num-perm must be from 16 to 1024, got {self.num_perm}")
        if not 0 <= self.boilerplate_share <= 1:
            raise ValueError(f"boilerplate-share must be in [0, 1], got {self.boilerplate_share}")

    def config(self) -> NearDupConfig:
        return NearDupConfig(
            threshold=self.threshold,
            ngram=self.ngram,
            num_perm=self.num_perm,
            seed=self.seed,
            compare=self.compare,
            nfkc=self.nfkc,
            lowercase=self.lowercase,
            strip_punctuation=self.strip_punctuation,
            boilerplate_share=self.boilerplate_share,
        )


@dataclass
class Member:
    row: int
    similarity_to_kept: float
    matched_row: int  # the row it was verified against (the kept row when that pair reaches the threshold)
    similarity: float  # to matched_row, never below the threshold


@dataclass
class Cluster:
    id: int
    kept_row: int
    rows: list[int]  # all rows of the cluster, ascending
    members: list[Member] = field(default_factory=list)  # every row but the kept one

    @property
    def size(self) -> int:
        return len(self.rows)


def _verified_edges(fp: Fingerprints, config: NearDupConfig) -> tuple[list[tuple[int, int, float]], dict]:
    pairs = candidate_pairs(fp.signature, fp.searchable(), config)
    involved = np.unique(pairs)
    sets = dict(zip(involved.tolist(), shingle_sets(fp.text.gather(involved), config, fp.boilerplate)))
    return verify(pairs, sets, config.threshold), sets


def clusters(ctx: Context, source: Source, config: NearDupConfig, keep: str = "first") -> list[Cluster]:
    """Clusters of near-duplicate rows of ``source`` (two or more rows each), in order of their first row.

    Rows are linked by verified pairs (Jaccard >= threshold) and by identical normalised text; clusters are the
    connected components (union-find). ``keep`` picks the row kept: ``first`` or ``longest`` (most characters of
    compared text, then first).
    """
    fp = ctx.fingerprints(source, config)
    edges, sets = _verified_edges(fp, config)
    n = len(fp.rows)
    union = UnionFind(n)
    searchable = fp.has_shingles
    for entry in np.flatnonzero(searchable & (fp.representative != np.arange(n))).tolist():
        union.union(entry, int(fp.representative[entry]))
    neighbours: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for x, y, value in edges:
        union.union(x, y)
        neighbours[x].append((value, y))
        neighbours[y].append((value, x))
    roots = np.array([union.find(e) for e in range(n)]) if n else np.zeros(0, np.int64)
    members_of: dict[int, list[int]] = defaultdict(list)
    for entry in np.flatnonzero(searchable).tolist():
        members_of[int(roots[entry])].append(entry)
    lengths = fp.text.str.len_chars().to_numpy() if keep == "longest" else None
    out: list[Cluster] = []
    for entries in sorted((m for m in members_of.values() if len(m) > 1), key=lambda m: m[0]):
        kept = entries[0] if lengths is None else max(entries, key=lambda e: (lengths[e], -e))
        cluster = Cluster(id=len(out), kept_row=int(fp.rows[kept]), rows=[int(fp.rows[e]) for e in entries])
        kept_rep = int(fp.representative[kept])
        for entry in entries:
            if entry == kept:
                continue
            rep = int(fp.representative[entry])
            direct = 1.0 if rep == kept_rep else similarity(sets[rep], sets[kept_rep], config.threshold)
            if direct is not None:
                to_kept, matched, value = direct, kept, direct
            else:
                to_kept = jaccard(sets[rep].full, sets[kept_rep].full)
                value, matched = max(neighbours[rep], key=lambda item: (item[0], -item[1]))
            cluster.members.append(
                Member(
                    row=int(fp.rows[entry]),
                    similarity_to_kept=to_kept,
                    matched_row=int(fp.rows[matched]),
                    similarity=value,
                )
            )
        out.append(cluster)
    return out


@dataclass
class Leak:
    row: int  # validation row
    train_source: str
    train_row: int
    similarity: float
    exact: bool  # identical normalised text


def leaks(ctx: Context, validation: Source, train: Source, config: NearDupConfig) -> list[Leak]:
    """Validation rows that are exact or near duplicates of a row of ``train``, each with its best match."""
    tfp = ctx.fingerprints(train, config)
    vfp = ctx.fingerprints(validation, config, reference=train)
    best: dict[int, Leak] = {}

    def offer(v_entry: int, t_entry: int, value: float, exact: bool) -> None:
        leak = Leak(int(vfp.rows[v_entry]), train.name, int(tfp.rows[t_entry]), value, exact)
        current = best.get(v_entry)
        if current is None or (value, -leak.train_row) > (current.similarity, -current.train_row):
            best[v_entry] = leak

    # Exact: identical normalised text, whatever the shingles.
    exact = (
        pl.DataFrame({"text": vfp.text}).with_row_index("v")
        .join(
            pl.DataFrame({"text": tfp.text}).with_row_index("t").group_by("text").agg(pl.col("t").min()),
            on="text",
            how="inner",
        )
        .select("v", "t")
    )
    for v_entry, t_entry in exact.iter_rows():
        offer(v_entry, t_entry, 1.0, True)
    # Near: LSH over both sources' representatives, pairs across the two only.
    t_entries, v_entries = tfp.searchable(), vfp.searchable()
    if len(t_entries) and len(v_entries):
        signature = np.concatenate([tfp.signature[t_entries], vfp.signature[v_entries]])
        groups = np.r_[np.zeros(len(t_entries), np.int8), np.ones(len(v_entries), np.int8)]
        pairs = candidate_pairs(signature, np.arange(len(signature)), config, groups)
        if len(pairs):
            offset = len(t_entries)
            left, right = pairs.min(axis=1), pairs.max(axis=1)  # training entries come first
            t_sel, v_sel = t_entries[left], v_entries[right - offset]
            t_sets = dict(zip(np.unique(t_sel).tolist(), shingle_sets(tfp.text.gather(np.unique(t_sel)), config, tfp.boilerplate)))
            v_sets = dict(zip(np.unique(v_sel).tolist(), shingle_sets(vfp.text.gather(np.unique(v_sel)), config, tfp.boilerplate)))
            for t_entry, v_entry in zip(t_sel.tolist(), v_sel.tolist()):
                value = similarity(t_sets[t_entry], v_sets[v_entry], config.threshold)
                if value is not None:
                    offer(v_entry, t_entry, value, False)
    # Exact duplicates inside the validation data share their representative's leak.
    for v_entry in range(len(vfp.rows)):
        rep = int(vfp.representative[v_entry])
        if rep != v_entry and rep in best and v_entry not in best:
            found = best[rep]
            best[v_entry] = Leak(int(vfp.rows[v_entry]), found.train_source, found.train_row, found.similarity, found.exact)
    return sorted(best.values(), key=lambda leak: leak.row)
