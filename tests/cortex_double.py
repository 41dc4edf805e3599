"""A double of the Snowpark session for ``prep.procs.cortex.CortexClient``: it checks every FINETUNE call against the
documented signatures (../shared/docs/cortex-facts.md), records it, and answers the way FINETUNE does.

Documented forms, all arguments literals (no bound parameters):

- ``FINETUNE('CREATE', name, base_model, training_query [, validation_query [, options]])`` -> a job id; each a
  string, the validation query a string or NULL, options a string holding a JSON object (``max_epochs`` 1..10);
- ``FINETUNE('SHOW')`` -> an array of {id, status, base_model, created_on};
- ``FINETUNE('DESCRIBE', job_id)`` -> an object; ``FINETUNE('CANCEL', job_id)`` -> 'Canceled Cortex Fine-tuning
  job: <id>'.
"""

from __future__ import annotations

import json
import re

import sqlglot
from sqlglot.tokens import TokenType

_CALL = re.compile(r"^SELECT SNOWFLAKE\.CORTEX\.FINETUNE\((.*)\)$", re.DOTALL)
OPTION_KEYS = {"max_epochs"}


class SignatureError(AssertionError):
    """A FINETUNE call that does not match the documented signature."""


def parse_call(sql: str) -> list[str | None]:
    """The literal arguments of one FINETUNE call (None for NULL); a SignatureError for anything else."""
    match = _CALL.match(sql.strip())
    if not match:
        raise SignatureError(f"not one FINETUNE call: {sql[:120]!r}")
    tokens = sqlglot.tokenize(match.group(1), read="snowflake")
    args: list[str | None] = []
    expect_value = True
    for token in tokens:
        if expect_value:
            if token.token_type == TokenType.STRING:
                args.append(token.text)
            elif token.token_type == TokenType.NULL:
                args.append(None)
            else:
                raise SignatureError(f"FINETUNE argument {len(args) + 1} is not a literal: {token.text!r}")
        elif token.token_type != TokenType.COMMA:
            raise SignatureError(f"unexpected {token.text!r} after FINETUNE argument {len(args)}")
        expect_value = not expect_value
    if expect_value and args:
        raise SignatureError("FINETUNE call ends with a comma")
    return args


def check_signature(args: list[str | None]) -> str:
    """The command, after checking the arguments' count and types against the documented signature."""
    if not args or args[0] not in ("CREATE", "SHOW", "DESCRIBE", "CANCEL"):
        raise SignatureError(f"FINETUNE's first argument must be CREATE, SHOW, DESCRIBE or CANCEL, got {args[:1]}")
    command, rest = args[0], args[1:]
    if command == "SHOW":
        if rest:
            raise SignatureError(f"FINETUNE('SHOW') takes no other argument, got {rest}")
    elif command in ("DESCRIBE", "CANCEL"):
        if len(rest) != 1 or not isinstance(rest[0], str) or not rest[0]:
            raise SignatureError(f"FINETUNE('{command}', job_id) takes one string, got {rest}")
    else:
        if not 3 <= len(rest) <= 5:
            raise SignatureError(f"FINETUNE('CREATE', ...) takes 3 to 5 more arguments, got {len(rest)}")
        if not all(isinstance(v, str) and v for v in rest[:3]):
            raise SignatureError("FINETUNE('CREATE') needs name, base model and training query as strings")
        if len(rest) >= 4 and rest[3] is not None and not rest[3].upper().startswith("SELECT"):
            raise SignatureError(f"the validation query must be a SELECT or NULL, got {rest[3]!r}")
        if len(rest) == 5:
            if rest[4] is None:
                raise SignatureError("options must be a string holding a JSON object, got NULL")
            try:
                options = json.loads(rest[4])
            except json.JSONDecodeError as exc:
                raise SignatureError(f"options must be a string holding a JSON object: {exc}") from None
            if not isinstance(options, dict) or set(options) - OPTION_KEYS:
                raise SignatureError(f"options must be a JSON object of documented keys {OPTION_KEYS}, got {options}")
            epochs = options.get("max_epochs", 3)
            if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 10:
                raise SignatureError(f"max_epochs must be an integer from 1 to 10, got {epochs!r}")
    return command


DESCRIBE = {  # the fields cortex-facts.md lists, plus one the service might add
    "id": "ft_0001",
    "status": "SUCCESS",
    "progress": 1.0,
    "base_model": "llama3-8b",
    "created_on": 1730000000000,
    "finished_on": 1730003600000,
    "model": "DB.S.SUPPORT_MODEL_1",
    "training_data": "SELECT ...",
    "validation_data": "SELECT ...",
    "trained_tokens": 123456,
    "training_result": {"validation_loss": 0.5, "training_loss": 0.4},
    "options": {"max_epochs": 2},
    "a_new_field": {"anything": True},
}


class CortexDouble:
    """Stands in for the session CortexClient runs its SQL on; ``calls`` holds (command, arguments)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str | None]]] = []
        self.describe = dict(DESCRIBE)

    def sql(self, query: str, params=None):
        if params:
            raise SignatureError(f"FINETUNE takes literals, not bound parameters: {params}")
        args = parse_call(query)
        command = check_signature(args)
        self.calls.append((command, args[1:]))
        if command == "CREATE":
            value = "ft_0001"
        elif command == "DESCRIBE":
            value = json.dumps(self.describe)
        elif command == "CANCEL":
            value = f"Canceled Cortex Fine-tuning job: {args[1]}"
        else:
            value = json.dumps([{"id": "ft_0001", "status": "IN_PROGRESS", "base_model": "llama3-8b"},
                                {"id": "ft_other", "status": "SUCCESS", "base_model": "mistral-7b"}])

        class Result:
            def collect(self_inner):
                return [(value,)]

        return Result()
