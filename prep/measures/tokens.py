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
from prep.tokenizers import (
    LONG_TEXT_BYTES,
    BoundedCounts,
    count_tokens_bounded,
    max_tokens,
)


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


def _budgets(models, field_name: str, family: str) -> tuple[int, int]:
    """(lowest, highest) ``field_name`` budget of the ``family`` models among ``models`` (0, 0 without any)."""
    budgets = [m.budget(field_name) for m in models if m.tokenizer == family]
    return (min(budgets), max(budgets)) if budgets else (0, 0)


def lowest_over(models, margin: int, field_name: str, family: str) -> int:
    """The token count a ``field_name`` text of ``family`` must exceed to be over any budget of ``models``
    (``tokens + margin > lowest budget``)."""
    return _budgets(models, field_name, family)[0] - margin


def _count_near(ctx: Context, rows: pl.DataFrame, field_name: str, family: str, name: str) -> pl.DataFrame:
    """Counts of the rows of ``rows`` (``row``, ``text``) whose token bound + margin exceeds the lowest budget."""
    lowest, highest = _budgets(ctx.models, field_name, family)
    bound = max_tokens(family, rows["text"].str.len_bytes().to_numpy())
    near = rows.filter(pl.Series(bound + ctx.settings.margin > lowest, dtype=pl.Boolean))
    if near.height:
        ctx.progress(f"tokenizing {near.height:,} of {rows.height:,} {name} {field_name} ({family})")
    return _with_counts(near, count_tokens_bounded(family, near["text"].to_list(), enough=highest + ctx.settings.margin))


def tokens_near_budget(ctx: Context, source: Source, field_name: str, family: str) -> pl.DataFrame:
    """Token counts of the rows that could exceed the smallest budget of this run's ``family`` models for
    ``field_name`` (all rows when the full counts are already known)."""
    full = source_key("tokens", source, field_name, family)
    if ctx.known(full):
        return token_counts(ctx, source, field_name, family)
    return ctx.memo(source_key("tokens-near-budget", source, field_name, family),
                    lambda: _count_near(ctx, source.text_rows(field_name), field_name, family, source.name))


def provide_token_counts(ctx: Context, source: Source, field_name: str, family: str, counted: pl.DataFrame,
                         again: list[int] | None = None) -> None:
    """Give ``ctx`` the counts :func:`tokens_near_budget` would make, from counts made elsewhere (by
    ``PREP_TOKEN_COUNT`` in the warehouse, procs/pushdown.py).

    ``counted`` (``row``, ``tokens``) holds the exact count of at least every text of ``field_name`` whose tokens are
    over :func:`lowest_over`, but those in ``again`` (rows whose text changed since) and those longer than
    :data:`~prep.tokenizers.LONG_TEXT_BYTES`; those are counted here, as the run would (a long text's count is an
    estimate in the run: counted again, the findings stay the same)."""
    rows = source.text_rows(field_name)
    local = rows["text"].str.len_bytes() > LONG_TEXT_BYTES
    if again:
        local = local | rows["row"].is_in(again)
    here = rows.filter(local)
    above = lowest_over(ctx.models, ctx.settings.margin, field_name, family)
    known = counted.select(pl.col("row").cast(rows["row"].dtype), pl.col("tokens").cast(pl.Int64)).filter(
        pl.col("row").is_in(rows.filter(~local)["row"].implode()) & (pl.col("tokens") > above))
    near = pl.concat([
        known.with_columns(pl.lit(False).alias("estimated"), pl.lit(0, dtype=pl.Int64).alias("counted_bytes")),
        _count_near(ctx, here, field_name, family, source.name),
    ]).sort("row")
    ctx.provide(source_key("tokens-near-budget", source, field_name, family), near)


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
