"""The engine: a small context (:mod:`.context`), the rule interface (:mod:`.rule`) and its discovery
(:mod:`.pack`), a run (:mod:`.run`: plan, run, result) and the one definition of whether data fits a model
(:mod:`.fit`). It knows nothing of the rule pack or of the domain's measures: rules (``rules/``) decide, measures
(:mod:`prep.measures`) compute.

The names below are re-exported lazily, so that importing one submodule never imports the others.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Context": "context", "Progress": "context", "source_key": "context",
    "Rule": "rule", "Fit": "fit", "ModelFit": "fit", "model_fits": "fit",
    "LintResult": "run", "Plan": "run", "Given": "run", "build_rules": "run", "plan": "run",
}  # not ``run``: ``prep.engine.run`` is the module (``from prep.engine import run`` imports it)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"prep.engine.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'prep.engine' has no attribute {name!r}")
