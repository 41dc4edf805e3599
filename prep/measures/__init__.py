"""Per-row measures: functions of columns that know nothing of rules or findings.

Each takes a run's :class:`~prep.engine.context.Context` only to keep its result for the other rules (``memo``),
and computes over whole columns (polars, numpy, batch tokenisation): token counts and bounds (:mod:`.tokens`),
normalised text and exact-duplicate keys (:mod:`.text`), encoding damage and template tokens (:mod:`.flags`),
labels (:mod:`.labels`), MinHash signatures, clusters and leaks (:mod:`.minhash`, :mod:`.neardup`), personal data
(:mod:`.pii`). Each is also what a Snowflake vectorized UDF calls on a batch of rows (procs/udfs.py).
"""
