"""Text normalisation shared by the duplicate rules, as polars expressions."""

from __future__ import annotations

import polars as pl


def normalized(expr: pl.Expr) -> pl.Expr:
    """Unicode NFC, runs of whitespace collapsed to one space, ends stripped."""
    return expr.str.normalize("NFC").str.replace_all(r"\s+", " ").str.strip_chars()


def row_list(rows: list[int], limit: int = 5) -> str:
    """'3, 17, 42' or '3, 17, 42, 51, 60 and 12 more'."""
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown if len(rows) <= limit else f"{shown} and {len(rows) - limit:,} more"
