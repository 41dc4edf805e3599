"""The rule pack: one module per rule, named after its code and name (``tk001_prompt_over_budget.py``).

To add a rule, add a module here with one :class:`prep.engine.rule.Rule` subclass; the engine finds it (:mod:`prep.engine.pack`).
"""
