"""Snowpark Python stored-procedure handlers: thin front ends over the same ``prep`` API the CLI uses.

- ``procs.lint.run(session, source, base_model, options)``: lint a table, view or single SELECT;
- ``procs.prepare.run(session, source, dataset, base_model, options)``: snapshot, split and create the
  ``<dataset>_TRAIN`` / ``_VALIDATION`` / ``_EXCLUDED`` views;
- ``procs.finetune.run(session, dataset, model_name, base_model, options)``: start FINETUNE on clean data only;
- ``procs.jobs.status`` / ``cancel`` / ``list``: the job registry.

Every identifier is validated and quoted (:mod:`procs.sql`), every value is a bound parameter, a ``source`` that is
not a table name or a single SELECT is refused, and the procedures run with the caller's rights (``sql/``).
"""
