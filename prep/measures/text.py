"""Normalised text and exact-duplicate keys, as polars expressions over whole columns."""

from __future__ import annotations

import polars as pl

from prep.dataset import Source
from prep.engine.context import Context, source_key
from prep.limits import by_slices

_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # the two 64-bit hashes of a text key


def normalized(expr: pl.Expr) -> pl.Expr:
    r"""Unicode NFC, runs of whitespace collapsed to one space, ends stripped.

    Same result as ``normalize("NFC")`` then ``replace_all(r"\s+", " ")``, but about 4x faster on typical data:
    NFC runs only on values with a non-ASCII character (ASCII is always NFC), and the replacement touches only
    whitespace that is not already a single space.
    """
    nfc = pl.when(expr.str.len_bytes() != expr.str.len_chars()).then(expr.str.normalize("NFC")).otherwise(expr)
    return nfc.str.replace_all(r"\s\s+|[^\S ]", " ").str.strip_chars()


def text_key(expr: pl.Expr) -> pl.Expr:
    """A 128-bit key of the normalised text (a struct of two 64-bit polars hashes under fixed seeds): two different
    texts share one with probability about 2^-128 per pair."""
    text = normalized(expr)
    return pl.struct(text.hash(seed=_SEEDS[0]).alias("h1"), text.hash(seed=_SEEDS[1]).alias("h2"))


def exact_key_frame(pairs: pl.DataFrame) -> pl.DataFrame:
    """``row``, ``p`` and ``c`` (the text keys of prompt and completion) of ``pairs`` (``row``, ``prompt``,
    ``completion``, both text)."""
    return by_slices(pairs, lambda part: part.lazy().select(
        "row", text_key(pl.col("prompt")).alias("p"), text_key(pl.col("completion")).alias("c")
    ).collect(engine="streaming"))


def exact_keys(ctx: Context, source: Source) -> pl.DataFrame:
    """Rows where both fields are text, with ``p`` and ``c``: the text keys of prompt and completion, as the
    duplicate rules compare them. Keys rather than the text: the rules only group and join on them, and the text
    would double the memory of a run."""

    def compute() -> pl.DataFrame:
        ctx.progress(f"normalizing {source.name}")
        return exact_key_frame(source.pair_rows())

    return ctx.memo(source_key("exact-keys", source), compute)


def computed_exact_keys(ctx: Context, source: Source) -> pl.DataFrame | None:
    """The :func:`exact_keys` of ``source`` if this run computed them, else None."""
    return ctx.memoized(source_key("exact-keys", source))


def provide_exact_keys(ctx: Context, source: Source, keys: pl.DataFrame) -> None:
    """Give ``ctx`` the :func:`exact_keys` of ``source``, computed elsewhere (``prep prepare``'s re-check of
    subsets of rows it has measured already)."""
    ctx.provide(source_key("exact-keys", source), keys)
