"""Caps on the work spent on one text, so that one 50 MB pasted log costs seconds, not minutes and gigabytes.

- Budget rules count the tokens of a text over :data:`prep.tokenizers.LONG_TEXT_BYTES` only until it is over every
  budget, and estimate the rest (their findings say ``estimated``).
- PII detection, the broken-text check's mojibake confirmation and near-duplicate comparison look at the first
  :data:`SCAN_CHARS` characters of each prompt and completion; a finding on a longer text says so in its data
  (``scanned_chars`` / ``compared_chars``), and the run's notes count such texts. A text that long is over every
  model's budget many times over, so TK001/TK002 flag it as an error anyway.

And on the work spent on one column at once: measures that make a text copy of a column (normalised text, keys)
make it :data:`SLICE_ROWS` rows at a time (:func:`by_slices`), so the transient copy is a slice's, not the
column's (a stored procedure holds a table's text in one process).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

SCAN_CHARS = 1 << 20
SLICE_ROWS = 1 << 15


def by_slices(frame: pl.DataFrame, compute: Callable[[pl.DataFrame], pl.DataFrame | pl.Series]):
    """``compute(frame)``, computed on :data:`SLICE_ROWS` rows at a time and concatenated: the same result for any
    row-wise ``compute``, with the temporaries of one slice at a time."""
    if frame.height <= SLICE_ROWS:
        return compute(frame)
    return pl.concat([compute(frame.slice(lo, SLICE_ROWS)) for lo in range(0, frame.height, SLICE_ROWS)],
                     rechunk=False)


def long_rows(frame: pl.DataFrame, fields: tuple[str, ...] = ("prompt", "completion")) -> set[int]:
    """Rows of a source frame with a field over :data:`SCAN_CHARS` characters."""
    over = pl.any_horizontal([pl.col(f).str.len_chars().fill_null(0) > SCAN_CHARS for f in fields])
    return set(frame.filter(over)["row"].to_list())
