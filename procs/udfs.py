"""Vectorized Python UDFs: thin hosts over prep's per-row measures, for the procedures and for a user's own SQL.

Snowflake calls a vectorized UDF's handler with one batch of rows as a pandas DataFrame whose columns ``0, 1, ...``
are the function's arguments, and takes back a pandas Series with one result per row, in the batch's order. The
handler is marked by the ``_sf_vectorized_input`` attribute (Snowflake's documented alternative to the
``_snowflake.vectorized`` decorator), so this module imports outside Snowflake too and the tests call the handlers
exactly as Snowflake does: on a DataFrame.

    SELECT PREP_DB.PREP.PREP_TOKEN_COUNT('llama3-8b', prompt) AS prompt_tokens FROM my_table;

Memory per batch is the batch's text plus the tokenizer (loaded once per process and kept): the batch is tokenised
in one call of the family's batch API, and no copy of the text is kept after it returns.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from prep.catalog import load_catalog
from prep.errors import did_you_mean
from prep.tokenizers import count_tokens_family


def _vectorized(handler):
    handler._sf_vectorized_input = pd.DataFrame
    return handler


@lru_cache(maxsize=1)
def _catalog():
    # The built-in catalog: a UDF has no project configuration, so a model added in [tool.prep.catalog] is unknown
    # here (the procedures take the catalog from their options).
    return load_catalog(None)


@_vectorized
def token_count(batch: pd.DataFrame) -> pd.Series:
    """``PREP_TOKEN_COUNT(base_model, text)``: the exact token count of ``text`` for ``base_model``'s tokenizer
    (raw text, no BOS/EOS), equal to ``prep.count_tokens``. NULL in either argument gives NULL; an unknown model
    fails the query with its name and the nearest known one."""
    models, texts = batch[0], batch[1]
    out = pd.Series(pd.NA, index=batch.index, dtype="Int64")
    known = models.notna() & texts.notna()
    catalog = _catalog()
    # One tokenizer call per distinct model in the batch (six at most), not per row.
    for model in models[known].unique():
        if model not in catalog:
            raise ValueError(f"PREP_TOKEN_COUNT: unknown base model '{model}'{did_you_mean(model, catalog)}")
        rows = known & (models == model)
        out[rows] = count_tokens_family(catalog[model].tokenizer, texts[rows].tolist())
    return out
