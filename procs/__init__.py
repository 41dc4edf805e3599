"""Snowpark Python stored-procedure handlers: thin front ends over the same ``prep`` API the CLI uses.

- ``prep.procs.lint.run(session, source, base_model, options)``: lint a table, view or single SELECT;
- ``prep.procs.prepare.run(session, source, dataset, base_model, options)``: snapshot, split and create the
  ``<dataset>_TRAIN`` / ``_VALIDATION`` / ``_EXCLUDED`` views;
- ``prep.procs.finetune.run(session, dataset, model_name, base_model, options)``: start FINETUNE on clean data only;
- ``prep.procs.jobs.status`` / ``cancel`` / ``list``: the job registry;
- ``prep.procs.udfs``: the vectorized UDFs (PREP_TOKEN_COUNT, PREP_PII, PREP_TEXT_FLAGS), and ``prep.procs.pushdown``, which
  has lint and prepare detect PII with PREP_PII in the warehouse when it is deployed.

Every identifier is validated and quoted (:mod:`prep.procs.sql`), every value is a bound parameter, a ``source`` that is
not a table name or a single SELECT is refused, and the procedures run with the caller's rights (``sql/``).
"""
