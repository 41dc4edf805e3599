"""Snowpark Python stored-procedure handlers: thin front ends over the same ``prep`` API the CLI uses.

- ``procs.lint.run(session, source, base_model, options)``: lint a table, view or single SELECT;
- ``procs.prepare.run(session, source, dataset, base_model, options)``: snapshot, split and create the
  ``<dataset>_TRAIN`` / ``_VALIDATION`` / ``_EXCLUDED`` views;
- ``procs.finetune.run(session, dataset, model_name, base_model, options)``: start FINETUNE on clean data only;
- ``procs.jobs.status`` / ``cancel`` / ``list``: the job registry;
- ``procs.udfs``: the vectorized UDFs (PREP_TOKEN_COUNT, PREP_PII, PREP_TEXT_FLAGS), and ``procs.pushdown``, which
  has lint and prepare detect PII with PREP_PII in the warehouse when it is deployed.

Every identifier is validated and quoted (:mod:`procs.sql`), every value is a bound parameter, a ``source`` that is
not a table name or a single SELECT is refused, and the procedures run with the caller's rights (``sql/``).
"""
