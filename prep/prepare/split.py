"""The validation split, a function of row content and seed only, and the leak re-check after it.

- Rows are grouped so that exact copies and near-duplicate clusters stay on one side (connected components over
  exact-key groups and clusters, :func:`prep.measures.minhash.components`).
- Each group's key is the smallest SHA-256 of ``seed, prompt, completion`` among its rows (SHA-256 rather than a
  polars hash, whose values may change between polars versions: the same file and seed give the same split on
  any installation; hashlib runs once per kept row).
- Per stratum (the label, for label-like data; one stratum otherwise) groups go to validation in key order until
  the stratum's share reaches ``validation_fraction``, never taking its last training group (a greedy walk over the
  groups: each step depends on the last, so it is a loop over groups).
- Then any validation row that a leak rule (:meth:`~prep.engine.rule.Rule.leaking`) still finds leaking from
  training moves to training; from a validation file, it is excluded. :class:`LeakCheck` runs the rules on the
  two subsets exactly as on two files of them, from per-row measures computed once
  (:mod:`prep.measures.subsets`), so a check costs its LSH, not its signatures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl

from prep.dataset import SCHEMA, Source
from prep.engine.context import Context
from prep.engine.rule import PrepareAction, Rule
from prep.measures.crosspairs import CrossPairs, pairs_once
from prep.measures.labels import label_stats
from prep.measures.minhash import NearDupConfig, components
from prep.measures.neardup import (
    clusters,
    computed_signatures,
    provide_cross_candidates,
    provide_same_texts,
    provide_signatures,
    resolve_compare,
)
from prep.measures.subsets import SubsetMeasures
from prep.measures.text import (
    computed_exact_keys,
    exact_key_frame,
    exact_keys,
    provide_exact_keys,
)

MAX_ROUNDS = 100  # full checks; each moves at least one validation row, so this is never reached in practice


def _content_keys(seed: int, prompts: list[str], completions: list[str]) -> list[bytes]:
    """The SHA-256 of ``seed, prompt, completion`` (each length-prefixed) per row: one hashlib call per row on one
    message (sorted as bytes, the order of the hex digests)."""
    def part(text: str) -> bytes:
        encoded = text.encode("utf-8", "surrogatepass")
        return len(encoded).to_bytes(8, "big") + encoded

    head = part(str(seed))
    sha256 = hashlib.sha256
    return [sha256(head + part(p) + part(c)).digest() for p, c in zip(prompts, completions)]


def near_duplicate_config(rules: Sequence[Rule]) -> NearDupConfig:
    """The near-duplicate configuration the split keeps together: that of the run's keep-one rule that has one,
    else the default."""
    for rule in rules:
        if rule.prepare is PrepareAction.KEEP_ONE and isinstance(rule.options, NearDupConfig):
            return rule.options.config()
    return NearDupConfig()


def _groups(ctx: Context, train: Source, config: NearDupConfig) -> np.ndarray:
    """The group (a row index) of each row of ``train``: exact copies and near-duplicate clusters together."""
    # every row of an exact-copy group linked to the group's first row, as two columns (no Python per row)
    exact = exact_keys(ctx, train).select(pl.col("row").min().over("p", "c").alias("first"), "row")
    near = [(cluster.rows[0], other) for cluster in clusters(ctx, train, config) for other in cluster.rows[1:]]
    edges = np.concatenate([exact.to_numpy().astype(np.int64).reshape(-1, 2),
                            np.array(near, dtype=np.int64).reshape(-1, 2)])
    return components(train.n_records, edges)


def split(frame: pl.DataFrame, ctx: Context, train: Source, fraction: float, seed: int, label_like: bool,
          rules: Sequence[Rule]) -> set[int]:
    """The rows of the training source (``source`` 0 of ``frame``) that go to validation, among those kept."""
    kept = frame.filter((pl.col("source") == 0) & (pl.col("reasons").list.len() == 0))
    if kept.height == 0 or fraction == 0:
        return set()
    group = _groups(ctx, train, near_duplicate_config(rules))
    keys = _content_keys(seed, kept["prompt"].to_list(), kept["completion"].to_list())
    units = (
        kept.select("row", "completion")
        .with_columns(pl.Series("key", keys, dtype=pl.Binary), pl.Series("group", group[kept["row"].to_numpy()]))
        .sort("key", "row")
        .group_by("group", maintain_order=True)
        .agg(pl.col("key").first(), pl.col("completion").first().alias("lead"), pl.col("row"))
        .with_columns(stratum=pl.col("lead").str.strip_chars() if label_like else pl.lit(""))
        .sort("stratum", "key")
    )
    chosen: set[int] = set()
    for _, members in units.group_by("stratum", maintain_order=True):
        sizes = members["row"].list.len().to_list()
        total = sum(sizes)
        target = int(total * fraction + 0.5)
        taken, left, picked = 0, total, []
        for index, size in enumerate(sizes):  # the walk over sizes only; rows are gathered once at the end
            if taken + size <= target and left - size >= 1:
                picked.append(index)
                taken += size
                left -= size
            if taken >= target:
                break
        chosen.update(members["row"].gather(picked).explode().to_list())
    return chosen


def leak_rules(rules: Sequence[Rule], build) -> list[Rule]:
    """The run's leak rules; when none was selected, every leak rule of the pack with the configured options
    (``build(codes)``), so that the outputs never leak whatever the selection."""
    found = [rule for rule in rules if rule.checks_leaks()]
    return found or build()


def _subset(frame: pl.DataFrame, name: str, role: str) -> Source:
    rows = frame.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), pl.lit(None, dtype=pl.Int64).alias("line"),
        "prompt", "completion", prompt_type=pl.lit("string"), completion_type=pl.lit("string"),
        problem_kind=pl.lit(None, dtype=pl.String), problem=pl.lit(None, dtype=pl.String),
    )
    return Source(name=name, frame=rows.cast(SCHEMA), role=role)


class LeakCheck:
    """The leak rules' re-check of a prepared frame: which validation rows (``split`` validation) a leak rule finds
    in the training rows (``split`` train), as the rows will be written (redacted), exactly as the rule finds them
    in two files of those rows.

    The per-row measures (compared text, exact-duplicate keys, MinHash signatures) are computed once for all the
    frame's training and validation rows, or taken from the lint run (``lint``: its context and training source)
    for rows it measured as they are written, and each check assembles its subsets from them
    (:class:`prep.measures.subsets.SubsetMeasures`): a check then costs the LSH over the subsets, not the signatures.
    """

    def __init__(self, frame: pl.DataFrame, rules: Sequence[Rule], models, settings,
                 lint: tuple[Context, Source] | None = None) -> None:
        self.rules, self.models, self.settings = list(rules), models, settings
        live = frame["split"].is_in(["train", "validation"]).to_numpy()
        self.position = np.flatnonzero(live)  # frame position of each measured row
        redacted = pl.col("redacted") if "redacted" in frame.columns else pl.lit(False).alias("redacted")
        self.rows = frame.filter(pl.Series(live)).select("source", "row", redacted, "prompt", "completion")
        self.lint = lint
        self._measures: dict[NearDupConfig, SubsetMeasures] = {}
        self._cross: dict[NearDupConfig, tuple[CrossPairs, int]] = {}  # the full checks' LSH, and its refresh
        self._keys: pl.DataFrame | None = None
        keys = self._key(self.rows["source"].to_numpy(), self.rows["row"].to_numpy())
        self._order = np.argsort(keys, kind="stable")
        self._order_key = keys[self._order]
        self.checks = 0

    def _exact_keys(self) -> pl.DataFrame:
        """Exact-duplicate keys of every measured row (``row`` its index here): the lint run's for the training
        source's rows it keyed as they are written (not redacted since), computed for the others."""
        rows = self.rows.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), pl.col("row").alias("source_row"),
                                "source", "redacted", "prompt", "completion")
        seeded = None if self.lint is None else computed_exact_keys(*self.lint)
        if seeded is None:
            return exact_key_frame(rows.select("row", "prompt", "completion"))
        reuse = (rows.filter((pl.col("source") == 0) & ~pl.col("redacted")).select("row", "source_row")
                 .join(seeded.rename({"row": "source_row"}), on="source_row", how="inner").select("row", "p", "c"))
        fresh = exact_key_frame(rows.join(reuse.select("row"), on="row", how="anti").select("row", "prompt", "completion"))
        return pl.concat([reuse, fresh]).sort("row")

    @staticmethod
    def _key(source: np.ndarray, row: np.ndarray) -> np.ndarray:
        return source.astype(np.int64) << 40 | row.astype(np.int64)

    def _measures_for(self, config: NearDupConfig) -> SubsetMeasures:
        if config not in self._measures:
            seed = None
            if self.lint is not None:
                found = computed_signatures(*self.lint, config)
                if found is not None:
                    source, row, redacted = (self.rows[c].to_numpy() for c in ("source", "row", "redacted"))
                    at = np.minimum(np.searchsorted(found.rows, row), len(found.rows) - 1)
                    same = (source == 0) & ~redacted & (found.rows[at] == row) if len(found.rows) else source < 0
                    seed = (found, np.where(same, at, -1))
            self._measures[config] = SubsetMeasures(self.rows, config, seed)
        return self._measures[config]

    def _candidates(self, measures: SubsetMeasures, train: np.ndarray, validation: np.ndarray, full: bool
                    ) -> tuple[np.ndarray, np.ndarray]:
        """The check's LSH candidates across the subsets (entries of each subset's signatures). A full check's come
        from the last full check's where nothing changed (:class:`~prep.measures.crosspairs.CrossPairs`); a check of
        a few training rows computes them once (:func:`~prep.measures.crosspairs.pairs_once`)."""
        signature, has, keys = measures.current()
        n = len(signature)
        position, entry = [], []
        for rows in (train, validation):  # each text's first row in the subset: its table position and entry
            texts, at = np.unique(measures.text_of[rows], return_index=True)
            position.append(np.full(n, -1, np.int64))
            position[-1][texts] = rows[at]
            entry.append(np.full(n, -1, np.int64))
            entry[-1][texts] = at
        if full:
            cross, seen = self._cross.get(measures.config, (CrossPairs(measures.config), -1))
            t_text, v_text = cross.pairs(signature, keys, has, *position, measures.version > seen)
            self._cross[measures.config] = (cross, measures.refreshes)
        else:
            t_text, v_text = pairs_once(measures.config, signature, keys, has, *position)
        return entry[0][t_text], entry[1][v_text]

    @staticmethod
    def _same_texts(measures: SubsetMeasures, train: np.ndarray, validation: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`~prep.measures.neardup.same_texts` from the text ids: equal ids, equal texts."""
        t_ids, first = np.unique(measures.text_of[train], return_index=True)
        v_ids = measures.text_of[validation]
        if not len(t_ids) or not len(v_ids):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        at = np.minimum(np.searchsorted(t_ids, v_ids), len(t_ids) - 1)
        same = np.flatnonzero((t_ids[at] == v_ids) & measures.words[v_ids])
        return same, first[at[same]]

    def leaking(self, frame: pl.DataFrame, among: pl.DataFrame | None = None) -> pl.DataFrame:
        """``source`` and ``row`` of the validation rows found leaking. With ``among`` (``source``, ``row``), only
        those training rows are compared, under the boilerplate of the last full check."""
        is_train = (frame["split"] == "train").to_numpy()[self.position]
        is_validation = (frame["split"] == "validation").to_numpy()[self.position]
        if among is not None:  # found by binary search over the rows' (source, row) keys
            key = self._key(among["source"].to_numpy(), among["row"].to_numpy())
            at = np.minimum(np.searchsorted(self._order_key, key), len(self._order_key) - 1)
            chosen = np.zeros(len(is_train), dtype=bool)
            chosen[self._order[at[self._order_key[at] == key]]] = True
            is_train &= chosen
        train, validation = np.flatnonzero(is_train), np.flatnonzero(is_validation)
        if not len(train) or not len(validation) or not self.rules:
            return self.rows.select("source", "row").head(0)
        self.checks += 1
        sources = [_subset(self.rows[train], "train", "train"), _subset(self.rows[validation], "validation", "validation")]
        ctx = Context(sources, self.models, self.settings)
        if self._keys is None:
            self._keys = self._exact_keys()
        for source, rows in zip(sources, (train, validation)):
            provide_exact_keys(ctx, source, self._keys[rows].with_columns(pl.int_range(len(rows), dtype=pl.Int64)
                                                                           .alias("row")))
        found: set[int] = set()
        for rule in self.rules:
            if isinstance(rule.options, NearDupConfig):
                # compare = "auto" decides on the training rows checked, as the rule would on them as a file
                measures = self._measures_for(resolve_compare(rule.options, label_stats(ctx, sources[0]).label_like))
                if among is None:
                    measures.rebase(*measures.own_boilerplate(train))
                provide_signatures(ctx, sources[0], measures.config, measures.signatures(train))
                provide_signatures(ctx, sources[1], measures.config, measures.signatures(validation), sources[0])
                provide_cross_candidates(ctx, sources[1], sources[0], measures.config,
                                         self._candidates(measures, train, validation, among is None))
                provide_same_texts(ctx, sources[1], sources[0], measures.config,
                                   self._same_texts(measures, train, validation))
            found |= rule.leaking(ctx, sources[1], sources[0])
        return self.rows[validation[sorted(found)]].select("source", "row")
