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
  training moves to training; from a validation file, it is excluded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl

from prep.dataset import SCHEMA, Source
from prep.engine.context import Context
from prep.engine.rule import PrepareAction, Rule
from prep.measures.minhash import NearDupConfig, components
from prep.measures.neardup import clusters
from prep.measures.text import exact_keys

MAX_RECHECKS = 5


def _content_key(seed: int, prompt: str, completion: str) -> str:
    digest = hashlib.sha256()
    for part in (str(seed), prompt, completion):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


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
    keys = [_content_key(seed, p, c) for p, c in kept.select("prompt", "completion").iter_rows()]
    units = (
        kept.select("row", "completion")
        .with_columns(pl.Series("key", keys), pl.Series("group", group[kept["row"].to_numpy()]))
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
        taken, left = 0, total
        for size, rows in zip(sizes, members["row"].to_list()):
            if taken + size <= target and left - size >= 1:
                chosen.update(rows)
                taken += size
                left -= size
            if taken >= target:
                break
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


def leaking(frame: pl.DataFrame, rules: Sequence[Rule], models, settings, among: pl.DataFrame | None = None) -> pl.DataFrame:
    """The ``source`` and ``row`` of validation rows (``split`` validation) that a leak rule finds in the training
    rows (``split`` train), as they will be written (redacted). With ``among`` (``source``, ``row``), only those
    training rows are compared."""
    train = frame.filter(pl.col("split") == "train")
    if among is not None:
        train = train.join(among.select("source", "row"), on=["source", "row"], how="semi")
    train = train.select("prompt", "completion")
    validation = frame.filter(pl.col("split") == "validation")
    if not train.height or not validation.height or not rules:
        return validation.select("source", "row").head(0)
    sources = [_subset(train, "train", "train"), _subset(validation, "validation", "validation")]
    ctx = Context(sources, models, settings)
    rows: set[int] = set()
    for rule in rules:
        rows |= rule.leaking(ctx, sources[1], sources[0])
    return validation.select("source", "row").with_row_index("i").filter(pl.col("i").is_in(sorted(rows))).drop("i")
