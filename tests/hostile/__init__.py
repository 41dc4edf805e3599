"""Hostile inputs for the ``prep`` CLI: a deterministic case generator (:mod:`tests.hostile.cases`) and a runner
that drives the CLI in a subprocess under a memory and time limit and checks its invariants
(:mod:`tests.hostile.runner`). ``tests/test_hostile.py`` and ``bench/hostile.py`` use both."""
