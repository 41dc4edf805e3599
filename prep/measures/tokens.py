"""Token counts of a source's texts, and the rows over a model's budget.

A row is over budget when ``tokens + margin > budget``. Counting is cut down twice, with the same results:
a text whose token bound (:data:`prep.tokenizers.TOKEN_BOUNDS`) plus the margin is within the smallest budget of
its family cannot exceed any budget and is not tokenized; and a text over :data:`prep.tokenizers.LONG_TEXT_BYTES`
is counted only until it is over the highest budget, its total estimated from the share counted.
"""

from __future__ import annotations

import polars as pl

from prep.catalog import ModelSpec
from prep.dataset import Source
from prep.engine.context import Context, source_key
from prep.tokenizers import BoundedCounts, count_tokens_bounded, max_tokens


def _with_counts(rows: pl.DataFrame, counts: BoundedCounts) -> pl.DataFrame:
    return rows.select("row").with_columns(
        pl.Series("tokens", counts.tokens, dtype=pl.Int64),
        pl.Series("estimated", counts.estimated, dtype=pl.Boolean),
        pl.Series("counted_bytes", counts.counted_bytes, dtype=pl.Int64),
    )


def token_counts(ctx: Context, source: Source, field_name: str, family: str) -> pl.DataFrame:
    """Token counts for the string values of one field: ``row``, ``tokens``, ``estimated``, ``counted_bytes``."""

    def compute() -> pl.DataFrame:
        ctx.progress(f"tokenizing {source.name} {field_name} ({family})")
        rows = source.text_rows(field_name)
        return _with_counts(rows, count_tokens_bounded(family, rows["text"].to_list()))

    return ctx.memo(source_key("tokens", source, field_name, family), compute)


def tokens_near_budget(ctx: Context, source: Source, field_name: str, family: str) -> pl.DataFrame:
    """Token counts of the rows that could exceed the smallest budget of this run's ``family`` models for
    ``field_name`` (all rows when the full counts are already known)."""
    full = source_key("tokens", source, field_name, family)
    if ctx.known(full):
        return token_counts(ctx, source, field_name, family)

    def compute() -> pl.DataFrame:
        budgets = [m.budget(field_name) for m in ctx.models if m.tokenizer == family]
        lowest = min(budgets) if budgets else 0
        rows = source.text_rows(field_name)
        bound = max_tokens(family, rows["text"].str.len_bytes().to_numpy())
        near = rows.filter(pl.Series(bound + ctx.settings.margin > lowest))
        if near.height:
            ctx.progress(f"tokenizing {near.height:,} of {rows.height:,} {source.name} {field_name} ({family})")
        highest = max(budgets) if budgets else 0
        return _with_counts(near, count_tokens_bounded(family, near["text"].to_list(), enough=highest + ctx.settings.margin))

    return ctx.memo(source_key("tokens-near-budget", source, field_name, family), compute)


def over_budget(ctx: Context, source: Source, field_name: str, model: ModelSpec) -> pl.DataFrame:
    """Rows whose ``field_name`` tokens + margin exceed the model's budget, with ``tokens`` and ``cut``."""
    budget = model.budget(field_name)
    counts = tokens_near_budget(ctx, source, field_name, model.tokenizer)
    return counts.filter(pl.col("tokens") + ctx.settings.margin > budget).with_columns(
        (pl.col("tokens") + ctx.settings.margin - budget).alias("cut")
    )


def text_stats(ctx: Context, source: Source) -> tuple[int, int]:
    """(rows where both fields are text, UTF-8 bytes of their prompt + completion): what Cortex would train on."""

    def compute() -> tuple[int, int]:
        pairs = source.pair_rows()
        size = pairs.select(pl.col("prompt").str.len_bytes().sum() + pl.col("completion").str.len_bytes().sum()).item()
        return pairs.height, int(size or 0)

    return ctx.memo(source_key("text-stats", source), compute)
