"""The one place that writes ``AI_COMPLETE``: the SQL expression a set-based query runs once per row.

Every model call of PREP_LABEL and PREP_EVALUATE is one SQL statement over a whole view, never a call per row from
Python: the warehouse runs the rows in parallel and the procedure only reads the answers back. The form is
documented's named-argument form::

    AI_COMPLETE(model => '<model>', prompt => <expr>,
                model_parameters => OBJECT_CONSTRUCT('temperature', 0, 'max_tokens', 256), show_details => TRUE)

With ``show_details`` the result is an object whose answer is ``choices[0].messages`` and whose token counts are
``usage.prompt_tokens`` and ``usage.completion_tokens`` (unverified here: Snowflake cannot be reached; the paths
are in one place, :data:`ANSWER`, :data:`PROMPT_TOKENS`, :data:`COMPLETION_TOKENS`). The model name is a literal, as
FINETUNE's arguments are (:func:`prep.procs.cortex.literal`). Tests replace the function with a double that checks
this form and answers deterministically (tests/cortex_double.py).
"""

from __future__ import annotations

import math

from prep.procs.cortex import literal
from prep.procs.sql import ProcError

# The parts of AI_COMPLETE's detailed result, as SQL paths on the result column
ANSWER = ":choices[0]:messages::VARCHAR"
PROMPT_TOKENS = ":usage:prompt_tokens::NUMBER"
COMPLETION_TOKENS = ":usage:completion_tokens::NUMBER"

MODEL_PARAMETERS = ("temperature", "top_p", "max_tokens", "guardrails")  # the documented keys
MAX_TOKENS = 8192  # the documented maximum of max_tokens


def parameters(options: dict, default_max_tokens: int) -> dict[str, float | int]:
    """``temperature`` (default 0: the same answer for the same prompt, as an evaluation needs) and
    ``max_tokens`` from ``options``, checked."""
    temperature = options.get("temperature", 0)
    max_tokens = options.get("max_tokens", default_max_tokens)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 <= temperature <= 1 \
            or not math.isfinite(temperature):
        raise ProcError(f"temperature must be a number from 0 to 1, got {temperature!r}")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or not 1 <= max_tokens <= MAX_TOKENS:
        raise ProcError(f"max_tokens must be an integer from 1 to {MAX_TOKENS}, got {max_tokens!r}")
    return {"temperature": temperature, "max_tokens": max_tokens}


def model_name(model: object, what: str = "model") -> str:
    """A model name as AI_COMPLETE takes it: a base model (``llama3.1-70b``) or a fine-tuned model's name
    (``DB.SCHEMA.SUPPORT_V2``); text without quotes or control characters."""
    if not isinstance(model, str) or not model.strip() or len(model) > 500:
        raise ProcError(f"{what} must be a model name such as 'llama3.1-70b', got {model!r}")
    if any(c in model for c in "'\"\\;") or any(ord(c) < 32 for c in model):
        raise ProcError(f"{what} {model!r} is not a model name")
    return model.strip()


def complete_sql(model: str, prompt_sql: str, params: dict[str, float | int]) -> str:
    """SQL: the detailed AI_COMPLETE result (a VARIANT) of ``prompt_sql`` (an SQL text expression) with ``model``."""
    pairs = ", ".join(f"'{key}', {value!r}" for key, value in params.items() if key in MODEL_PARAMETERS)
    return (f"AI_COMPLETE(model => {literal(model_name(model))}, prompt => {prompt_sql}, "
            f"model_parameters => OBJECT_CONSTRUCT({pairs}), show_details => TRUE)")
