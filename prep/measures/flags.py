"""Text flags: encoding damage and chat-template tokens, per text, over a whole column.

The measures behind the broken-text and template-token rules, and the body of the ``PREP_TEXT_FLAGS`` UDF.
"""

from __future__ import annotations

import polars as pl
from ftfy.badness import is_bad

from prep.limits import SCAN_CHARS

REPLACEMENT = "\ufffd"
# C0 controls other than tab, newline and carriage return; DEL; C1 controls.
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
# A UTF-8 lead byte read as Latin-1/cp1252 (Â..ô) followed by a continuation byte read the same way: the shape
# of UTF-8 decoded with the wrong codec ("cafÃ©", "Iâ€™m", "Â£5"). Only a prefilter: ftfy decides.
_CONTINUATION = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
MOJIBAKE = f"[\u00c2-\u00f4]{_CONTINUATION}{_CONTINUATION}?"

# Special and chat-template tokens of the Llama 3 and Mistral families, plus ChatML, whose literal text in
# training data means a template was applied (or half-applied) before the data reached Cortex.
TEMPLATE_TOKEN = (
    r"<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|step_id|image"
    r"|finetune_right_pad_id|reserved_special_token_\d+|im_start|im_end|endoftext)\|>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|<unk>"
)


def encoding_flags(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) with encoding damage, with ``replacement`` and ``control``
    (counts) and ``mojibake`` (the first likely mojibake sequence, confirmed by ftfy's badness heuristic on the
    first SCAN_CHARS characters; null when there is none). Rows with no damage are left out."""
    text = pl.col("text")
    flagged = rows.with_columns(
        text.str.count_matches(REPLACEMENT, literal=True).alias("replacement"),
        text.str.count_matches(CONTROL).alias("control"),
        text.str.extract(f"({MOJIBAKE})", 1).alias("mojibake"),
    ).filter((pl.col("replacement") > 0) | (pl.col("control") > 0) | pl.col("mojibake").is_not_null())
    # ftfy judges one text at a time (it has no column API): only the prefilter's candidates reach it.
    candidates = flagged["mojibake"].is_not_null()
    confirmed = [is_bad(value[:SCAN_CHARS]) for value in flagged.filter(candidates)["text"].to_list()]
    if confirmed:
        keep = pl.Series(confirmed, dtype=pl.Boolean)
        verdict = pl.Series([None] * flagged.height, dtype=pl.Boolean).scatter(candidates.arg_true(), keep)
        flagged = flagged.with_columns(
            pl.when(verdict.fill_null(False)).then(pl.col("mojibake")).otherwise(None).alias("mojibake")
        )
    return flagged.filter((pl.col("replacement") > 0) | (pl.col("control") > 0) | pl.col("mojibake").is_not_null())


def template_tokens(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) holding template tokens, with ``tokens``: each occurrence,
    in text order."""
    return rows.filter(pl.col("text").str.contains(TEMPLATE_TOKEN)).select(
        "row", pl.col("text").str.extract_all(TEMPLATE_TOKEN).alias("tokens")
    )


def token_counts(tokens: list[str]) -> dict[str, int]:
    """``{token: occurrences}`` in order of first occurrence."""
    return {token: tokens.count(token) for token in dict.fromkeys(tokens)}
