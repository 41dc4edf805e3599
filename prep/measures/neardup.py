"""Near-duplicate clusters and training/validation leaks, over :mod:`prep.measures.minhash`.

The near-duplicate and leak rules, and ``prep prepare``, call :func:`clusters` and :func:`leaks`; the signatures
behind them are computed once per run and configuration (:func:`signatures`).
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from prep.dataset import Source
from prep.engine.context import Context, source_key
from prep.measures.labels import label_stats
from prep.measures.minhash import (
    NearDupConfig,
    Signatures,
    candidate_pairs,
    components,
    signatures_of,
)
from prep.measures.text import exact_keys
from prep.measures.verify import (
    ShingleTable,
    near_duplicate_pairs,
    pair_similarities,
    shingle_table,
)
from prep.tokenizers import thread_count


def resolve_compare(config: NearDupConfig, label_like: bool) -> NearDupConfig:
    """``config`` with ``compare = "auto"`` made concrete: the prompt alone on label-like data (a shared label's words
    must not make two short prompts similar), else prompt + completion."""
    config = config.config()
    if config.compare != "auto":
        return config
    return replace(config, compare="prompt" if label_like else "prompt+completion")


def _label_like_key(source: Source) -> tuple:
    return source_key("compare-label-like", source)


def resolved(ctx: Context, source: Source, config: NearDupConfig) -> NearDupConfig:
    """:func:`resolve_compare` for ``source`` in this run (a validation source follows its training data)."""
    config = config.config()
    if config.compare != "auto":
        return config
    return resolve_compare(config, ctx.memo(_label_like_key(source), lambda: label_stats(ctx, source).label_like))


def signatures(ctx: Context, source: Source, config: NearDupConfig, reference: Source | None = None) -> Signatures:
    """MinHash signatures of ``source``'s text rows under ``config``, computed once per run. With ``reference``
    (training data, for leakage), the boilerplate shingles are the reference's."""
    config = resolved(ctx, reference or source, config)

    def compute() -> Signatures:
        boilerplate = None if reference is None else signatures(ctx, reference, config).boilerplate
        ctx.progress(f"MinHash signatures of {source.name}")
        return signatures_of(source.pair_rows(), config, boilerplate)

    return ctx.memo(_signature_key(source, config, reference), compute)


def _signature_key(source: Source, config: NearDupConfig, reference: Source | None) -> tuple:
    assert config.compare != "auto", "resolve compare first"
    reference_key = None if reference is None else (reference.role, reference.name)
    return source_key("signatures", source, config.config(), reference_key)


def provide_signatures(
    ctx: Context, source: Source, config: NearDupConfig, value: Signatures, reference: Source | None = None
) -> None:
    """Give ``ctx`` the :func:`signatures` of ``source`` computed elsewhere (``prep prepare``'s re-check of
    subsets of rows it has measured already, :mod:`prep.measures.subsets`)."""
    ctx.provide(_signature_key(source, config, reference), value)


def computed_signatures(ctx: Context, source: Source, config: NearDupConfig) -> Signatures | None:
    """The signatures of ``source`` (its own boilerplate) if this run computed them, else None."""
    return ctx.memoized(_signature_key(source, resolved(ctx, source, config), None))


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
    distinct: int  # distinct normalised texts among them (exact copies count once)
    members: list[Member] = field(default_factory=list)  # every row but the kept one

    @property
    def size(self) -> int:
        return len(self.rows)


def _similar(
    left: ShingleTable, right: ShingleTable, x: np.ndarray, y: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """(near-duplicate mask, full-set similarity) for pairs of texts."""
    full, content = pair_similarities(left, right, x, y)
    return near_duplicate_pairs(full, content, threshold), full


@dataclass
class Verified:
    """The near-duplicate pairs of a source's signature entries (LSH candidates that passed the exact check), their
    full-set similarities, and the shingle table of the entries involved (``involved``, sorted)."""

    pairs: np.ndarray
    similarity: np.ndarray
    table: ShingleTable
    involved: np.ndarray
    checked: int = 0  # candidate pairs checked exactly (the others were already connected)


def verified_pairs(ctx: Context, source: Source, config: NearDupConfig) -> Verified:
    """:class:`Verified` pairs of ``source``, computed once per run and configuration (the duplicate rule and
    prepare's split both group by them)."""
    config = resolved(ctx, source, config)

    def compute() -> Verified:
        fp = signatures(ctx, source, config)
        pairs = candidate_pairs(fp.signature, fp.searchable(), config)
        involved = np.unique(pairs)
        ctx.progress(f"verifying {len(pairs):,} candidate pairs of {source.name}")
        table = shingle_table(fp.text.gather(involved), config, fp.boilerplate)
        local = np.searchsorted(involved, pairs)
        edges, similarity, checked = _joining_pairs(local, fp.signature[involved], table, config.threshold)
        return Verified(involved[edges], similarity, table, involved, checked)

    return ctx.memo(source_key("verified-pairs", source, config), compute)


# Candidate pairs verified per round of _joining_pairs (at least; an eighth of them when there are more).
ROUND_PAIRS = 1 << 16


def _joining_pairs(pairs: np.ndarray, signature: np.ndarray, table: ShingleTable, threshold: float
                   ) -> tuple[np.ndarray, np.ndarray, int]:
    """The near-duplicate pairs among candidate ``pairs`` (rows of ``table``) that the clusters need: the same
    connected components as verifying every pair, from fewer exact checks. Pairs go in rounds, most similar
    signatures first; a pair whose two rows an earlier round already connected is not checked, since its edge
    cannot change a component (the clusters are then split around the kept row by exact similarities to it,
    :func:`_around_kept`, which do not depend on these pairs). Returns (pairs that passed, their similarities,
    pairs checked)."""
    n = int(pairs.max()) + 1 if len(pairs) else 0
    if not len(pairs):
        return pairs, np.zeros(0), 0
    agree = np.empty(len(pairs), dtype=np.int32)
    for lo in range(0, len(pairs), 1 << 15):
        part = pairs[lo : lo + (1 << 15)]
        agree[lo : lo + len(part)] = np.count_nonzero(signature[part[:, 0]] == signature[part[:, 1]], axis=1)
    pending = pairs[np.argsort(-agree, kind="stable")]
    size = max(ROUND_PAIRS, len(pairs) // 8)
    label = np.arange(n, dtype=np.int64)
    passed, values, checked = [], [], 0
    while len(pending):
        batch, pending = pending[:size], pending[size:]
        batch = batch[label[batch[:, 0]] != label[batch[:, 1]]]
        checked += len(batch)
        ok, full = _similar_threaded(table, batch, threshold)
        if ok.any():
            passed.append(batch[ok])
            values.append(full[ok])
            label = components(n, np.concatenate(passed))
            pending = pending[label[pending[:, 0]] != label[pending[:, 1]]]
    if not passed:
        return np.zeros((0, 2), np.int64), np.zeros(0), checked
    edges, similarity = np.concatenate(passed), np.concatenate(values)
    order = np.lexsort((edges[:, 1], edges[:, 0]))
    return edges[order], similarity[order], checked


def _similar_threaded(table: ShingleTable, pairs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_similar` of pairs of one table, the pairs split over the run's threads (numpy's lookups release
    the GIL)."""
    threads = thread_count()
    if threads < 2 or len(pairs) < 4096:
        return _similar(table, table, pairs[:, 0], pairs[:, 1], threshold)
    parts = np.array_split(np.arange(len(pairs)), threads)
    with ThreadPoolExecutor(threads) as pool:
        found = list(pool.map(lambda at: _similar(table, table, pairs[at, 0], pairs[at, 1], threshold), parts))
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def clusters(ctx: Context, source: Source, config: NearDupConfig, keep: str = "first") -> list[Cluster]:
    """Clusters of near-duplicate rows of ``source`` (two or more rows each), in order of their first row.

    Rows are linked by verified pairs (see :func:`prep.measures.minhash.near_duplicate_pairs`) and by identical normalised
    text into connected components (union-find); each component is then split around the rows kept
    (:func:`_around_kept`), so every member of a cluster is near its kept row. ``keep`` picks the row kept: ``first`` or
    ``longest`` (most characters of compared text, then first). Computed once per run, source, configuration
    and ``keep`` (the duplicate rule and prepare's split ask for the same).
    """
    config = resolved(ctx, source, config)
    return ctx.memo(source_key("clusters", source, config, keep), lambda: _clusters(ctx, source, config, keep))


def _clusters(ctx: Context, source: Source, config: NearDupConfig, keep: str) -> list[Cluster]:
    fp = signatures(ctx, source, config)
    n = len(fp.rows)
    searchable = fp.has_shingles
    found = verified_pairs(ctx, source, config)
    verified, table = found.pairs, found.table
    copies = fp.representative != np.arange(n)
    duplicates = np.flatnonzero(searchable & copies)
    root = components(n, np.concatenate([np.stack([duplicates, fp.representative[duplicates]], axis=1), verified]))
    # Only rows in a verified pair or an exact-duplicate group can share a cluster; the rest stay alone.
    linked = np.zeros(n, dtype=bool)
    linked[verified.ravel()] = True
    linked[copies] = True
    linked[fp.representative[copies]] = True
    members_of: dict[int, list[int]] = defaultdict(list)
    entries = np.flatnonzero(linked & searchable)
    for entry, label in zip(entries.tolist(), root[entries].tolist()):
        members_of[label].append(entry)
    components_ = sorted((m for m in members_of.values() if len(m) > 1), key=lambda m: m[0])
    lengths = fp.text.str.len_chars().to_numpy() if keep == "longest" else None
    rep = fp.representative
    out: list[Cluster] = []
    around: list[tuple[int, list[int], dict[int, float]]] = []
    around.extend(_around_kept(components_, lengths, rep, table, found.involved, config.threshold))
    for kept, entries, to_kept in sorted(around, key=lambda c: c[1][0]):
        cluster = Cluster(
            id=len(out),
            kept_row=int(fp.rows[kept]),
            rows=[int(fp.rows[e]) for e in entries],
            distinct=len({int(rep[e]) for e in entries}),
        )
        for entry in entries:
            if entry != kept:
                value = to_kept[entry]
                cluster.members.append(
                    Member(row=int(fp.rows[entry]), similarity_to_kept=value, matched_row=cluster.kept_row,
                           similarity=value)
                )
        out.append(cluster)
    return out


def _around_kept(components_: list[list[int]], lengths, rep: np.ndarray, table: ShingleTable,
                 involved: np.ndarray, threshold: float) -> list[tuple[int, list[int], dict[int, float]]]:
    """Split each connected component into clusters decided against the kept row: the row kept (the first, or the
    longest) takes every row near it (a verified pair by exact similarity, or an exact copy); the rows it does not
    take form clusters of their own the same way, and a row left alone is in no cluster. So no member of a cluster
    is far from its kept row, however long the chain that linked them. Returns (kept entry, entries ascending,
    similarity to the kept row per member) per cluster.

    Every component takes the same step at once, over arrays: per round, one exact check of all (kept, other)
    pairs of all components, so a long chain costs rounds of numpy work, not a Python loop over its members."""
    if not components_:
        return []
    ordered = [c if lengths is None else sorted(c, key=lambda e: (-int(lengths[e]), e)) for c in components_]
    ent = np.fromiter((e for c in ordered for e in c), dtype=np.int64)
    grp = np.repeat(np.arange(len(ordered)), [len(c) for c in ordered])
    out = []
    while len(ent):
        head = np.r_[True, grp[1:] != grp[:-1]]
        starts = np.flatnonzero(head)
        kept = np.repeat(ent[starts], np.diff(np.r_[starts, len(ent)]))
        same = ~head & (rep[ent] == rep[kept])
        check = np.flatnonzero(~head & ~same)
        near = same.copy()
        value = np.where(same, 1.0, 0.0)
        if len(check):
            pairs = np.stack([np.searchsorted(involved, rep[kept[check]]), np.searchsorted(involved, rep[ent[check]])],
                             axis=1)
            ok, full = _similar_threaded(table, pairs, threshold)
            near[check[ok]] = True
            value[check[ok]] = full[ok]
        # a cluster per component whose kept row took any row
        taken = np.flatnonzero(near)
        if len(taken):
            cuts = np.flatnonzero(np.r_[True, grp[taken][1:] != grp[taken][:-1]])
            for lo, hi in zip(cuts.tolist(), np.r_[cuts[1:], len(taken)].tolist()):
                members = taken[lo:hi]
                k = int(kept[members[0]])
                to_kept = dict(zip(ent[members].tolist(), value[members].tolist()))
                out.append((k, sorted([k, *to_kept]), to_kept))
        rest = ~head & ~near
        ent, grp = ent[rest], grp[rest]
        if len(grp):  # components left with one row are done
            counts = np.bincount(grp)
            keep = counts[grp] > 1
            ent, grp = ent[keep], grp[keep]
    return out


def cross_candidates(ctx: Context, validation: Source, train: Source, config: NearDupConfig
                     ) -> tuple[np.ndarray, np.ndarray]:
    """LSH candidate pairs across ``train`` and ``validation`` (training entry, validation entry of their
    :func:`signatures`), ordered by the two: the bands of both sources' searchable entries (training first), pairs
    across the two only. Computed once per run."""
    config = resolved(ctx, train, config)

    def compute() -> tuple[np.ndarray, np.ndarray]:
        tfp = signatures(ctx, train, config)
        vfp = signatures(ctx, validation, config, reference=train)
        t_entries, v_entries = tfp.searchable(), vfp.searchable()
        none = np.zeros(0, np.int64)
        if not len(t_entries) or not len(v_entries):
            return none, none
        signature = np.concatenate([tfp.signature[t_entries], vfp.signature[v_entries]])
        groups = np.r_[np.zeros(len(t_entries), np.int8), np.ones(len(v_entries), np.int8)]
        keys = None
        if tfp.band_keys is not None and vfp.band_keys is not None:
            keys = np.concatenate([tfp.band_keys[t_entries], vfp.band_keys[v_entries]])
        pairs = candidate_pairs(signature, np.arange(len(signature)), config, groups, keys)
        if not len(pairs):
            return none, none
        return t_entries[pairs.min(axis=1)], v_entries[pairs.max(axis=1) - len(t_entries)]

    return ctx.memo(_cross_key(validation, train, config), compute)


def _cross_key(validation: Source, train: Source, config: NearDupConfig) -> tuple:
    assert config.compare != "auto", "resolve compare first"
    return source_key("cross-candidates", validation, config.config(), train.role, train.name)


def provide_cross_candidates(ctx: Context, validation: Source, train: Source, config: NearDupConfig,
                             value: tuple[np.ndarray, np.ndarray]) -> None:
    """Give ``ctx`` the :func:`cross_candidates` of the two sources, computed elsewhere (``prep prepare``'s
    re-check, :class:`prep.measures.crosspairs.CrossPairs`)."""
    ctx.provide(_cross_key(validation, train, config), value)


def same_texts(ctx: Context, validation: Source, train: Source, config: NearDupConfig
               ) -> tuple[np.ndarray, np.ndarray]:
    """(validation entry, first training entry with the same text) of the validation entries with words whose
    normalised text a training entry has (entries of their :func:`signatures`). Computed once per run."""
    config = resolved(ctx, train, config)

    def compute() -> tuple[np.ndarray, np.ndarray]:
        tfp = signatures(ctx, train, config)
        vfp = signatures(ctx, validation, config, reference=train)
        exact = (
            pl.DataFrame({"text": vfp.text}).with_row_index("v").filter(pl.col("text") != "")
            .join(pl.DataFrame({"text": tfp.text}).with_row_index("t").group_by("text").agg(pl.col("t").min()),
                  on="text", how="inner")
            .sort("v")
        )
        return exact["v"].to_numpy().astype(np.int64), exact["t"].to_numpy().astype(np.int64)

    return ctx.memo(_same_key(validation, train, config), compute)


def _same_key(validation: Source, train: Source, config: NearDupConfig) -> tuple:
    assert config.compare != "auto", "resolve compare first"
    return source_key("same-texts", validation, config.config(), train.role, train.name)


def provide_same_texts(ctx: Context, validation: Source, train: Source, config: NearDupConfig,
                       value: tuple[np.ndarray, np.ndarray]) -> None:
    """Give ``ctx`` the :func:`same_texts` of the two sources, computed elsewhere (``prep prepare``'s re-check,
    from the text ids of :class:`prep.measures.subsets.SubsetMeasures`)."""
    ctx.provide(_same_key(validation, train, config), value)


@dataclass
class Leak:
    row: int  # validation row
    train_source: str
    train_row: int
    similarity: float
    exact: bool  # identical normalised text


def leaks(ctx: Context, validation: Source, train: Source, config: NearDupConfig) -> list[Leak]:
    """Validation rows that are exact or near duplicates of a row of ``train``, each with its best match."""
    config = resolved(ctx, train, config)
    tfp = signatures(ctx, train, config)
    vfp = signatures(ctx, validation, config, reference=train)
    best: dict[int, Leak] = {}

    def offer(v_entry: int, t_entry: int, value: float, exact: bool) -> None:
        leak = Leak(int(vfp.rows[v_entry]), train.name, int(tfp.rows[t_entry]), value, exact)
        current = best.get(v_entry)
        if current is None or (value, -leak.train_row) > (current.similarity, -current.train_row):
            best[v_entry] = leak

    # Exact: identical normalised text (rows with words), or identical text under DU001's light normalisation
    # (which also catches copies of rows that have no words at all).
    for v_entry, t_entry in zip(*(side.tolist() for side in same_texts(ctx, validation, train, config))):
        offer(v_entry, t_entry, 1.0, True)
    light = exact_keys(ctx, validation).join(
        exact_keys(ctx, train).group_by("p", "c").agg(pl.col("row").min().alias("train_row")),
        on=["p", "c"],
        how="inner",
    )
    # entries are in row order (pair rows of a source), so a row's entry is found by binary search
    v_at = np.searchsorted(vfp.rows, light["row"].to_numpy())
    t_at = np.searchsorted(tfp.rows, light["train_row"].to_numpy())
    for v_entry, t_entry in zip(v_at.tolist(), t_at.tolist()):
        offer(v_entry, t_entry, 1.0, True)
    # Near: LSH candidates across the two, verified.
    t_sel, v_sel = cross_candidates(ctx, validation, train, config)
    if len(t_sel):
        t_inv, v_inv = np.unique(t_sel), np.unique(v_sel)
        t_table = shingle_table(tfp.text.gather(t_inv), config, tfp.boilerplate)
        v_table = shingle_table(vfp.text.gather(v_inv), config, tfp.boilerplate)
        ok, full = _similar(
            t_table, v_table, np.searchsorted(t_inv, t_sel), np.searchsorted(v_inv, v_sel), config.threshold
        )
        for t_entry, v_entry, value in zip(t_sel[ok].tolist(), v_sel[ok].tolist(), full[ok].tolist()):
            offer(v_entry, t_entry, value, False)
    # Exact duplicates inside the validation data share their representative's leak.
    has_words = (vfp.text.str.len_bytes() > 0).to_numpy()
    for v_entry in np.flatnonzero((vfp.representative != np.arange(len(vfp.rows))) & has_words).tolist():
        rep = int(vfp.representative[v_entry])
        if rep in best and v_entry not in best:
            found = best[rep]
            best[v_entry] = Leak(int(vfp.rows[v_entry]), found.train_source, found.train_row, found.similarity, found.exact)
    return sorted(best.values(), key=lambda leak: leak.row)


def completion_similarities(source: Source, config: NearDupConfig, kept_row: int, rows: list[int]) -> dict[int, float]:
    """Word n-gram Jaccard similarity of each of ``rows``' completions to ``kept_row``'s, normalised as ``config``
    says (no boilerplate filter): whether a large cluster's rows are copies (near-identical completions too) or
    templated prompts with different answers. For the rows of one cluster, so plain Python sets."""
    from prep.measures.minhash import normalize_expr

    wanted = [kept_row, *rows]
    texts = (source.pair_rows().filter(pl.col("row").is_in(wanted))
             .select("row", normalize_expr(pl.col("completion"), config).alias("text")))
    n = config.ngram

    def grams(text: str) -> set[tuple[str, ...]]:
        words = text.split()
        return {tuple(words)} if len(words) < n else {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    sets = {row: grams(text) for row, text in texts.iter_rows()}
    kept = sets.get(kept_row, set())
    out = {}
    for row in rows:
        other = sets.get(row, set())
        union = len(kept | other)
        out[row] = len(kept & other) / union if union else 1.0
    return out
