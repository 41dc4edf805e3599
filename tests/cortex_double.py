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
        self.states: dict[str, dict] = {}  # per job id, when a test drives jobs through their statuses
        self.created = 0

    def sql(self, query: str, params=None):
        if params:
            raise SignatureError(f"FINETUNE takes literals, not bound parameters: {params}")
        args = parse_call(query)
        command = check_signature(args)
        self.calls.append((command, args[1:]))
        if command == "CREATE":
            self.created += 1
            value = f"ft_{self.created:04d}"
        elif command == "DESCRIBE":
            value = json.dumps(self.states.get(args[1], self.describe))
        elif command == "CANCEL":
            value = f"Canceled Cortex Fine-tuning job: {args[1]}"
        else:
            value = json.dumps([{"id": "ft_0001", "status": "IN_PROGRESS", "base_model": "llama3-8b"},
                                {"id": "ft_other", "status": "SUCCESS", "base_model": "mistral-7b"}])

        class Result:
            def collect(self_inner):
                return [(value,)]

        return Result()


# --- AI_COMPLETE on fakesnow ---------------------------------------------------------------------------------

COMPLETE_ARGS = ("model", "prompt", "model_parameters", "show_details")  # the named form prep.procs.complete writes
MODEL_PARAMETER_KEYS = {"temperature", "top_p", "max_tokens", "guardrails"}


def _split_call(sql: str, start: int) -> tuple[list[str], int]:
    """The top-level arguments of the call whose "(" is at ``start``, and the index after its ")"; quotes and
    nested parentheses respected."""
    depth, i, args, begin, quoted = 0, start, [], start + 1, False
    while i < len(sql):
        c = sql[i]
        if quoted:
            if c == "'" and sql[i + 1:i + 2] == "'":
                i += 1
            elif c == "'":
                quoted = False
        elif c == "'":
            quoted = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                args.append(sql[begin:i].strip())
                return args, i + 1
        elif c == "," and depth == 1:
            args.append(sql[begin:i].strip())
            begin = i + 1
        i += 1
    raise SignatureError("AI_COMPLETE( without its closing parenthesis")


def check_complete(args: list[str]) -> tuple[str, str, str]:
    """(model literal, prompt expression, model_parameters expression) of one AI_COMPLETE call, after checking it
    against the documented named-argument signature."""
    named = []
    for arg in args:
        name, sep, value = arg.partition("=>")
        if not sep:
            raise SignatureError(f"AI_COMPLETE argument {arg[:60]!r} is not named (name => value)")
        named.append((name.strip().lower(), value.strip()))
    names = [n for n, _ in named]
    if names[:2] != ["model", "prompt"] or any(n not in COMPLETE_ARGS for n in names) or len(set(names)) != len(names):
        raise SignatureError(f"AI_COMPLETE takes model, prompt [, model_parameters, response_format, show_details]; "
                             f"got {names}")
    values = dict(named)
    if not re.fullmatch(r"'(?:[^']|'')+'", values["model"]):
        raise SignatureError(f"AI_COMPLETE's model must be a string literal, got {values['model']!r}")
    params = values.get("model_parameters", "OBJECT_CONSTRUCT()")
    keys = re.findall(r"'([a-z_]+)'\s*,", params[len("OBJECT_CONSTRUCT("):]) if params.startswith("OBJECT_CONSTRUCT(") \
        else None
    if keys is None or set(keys) - MODEL_PARAMETER_KEYS:
        raise SignatureError(f"model_parameters must be an OBJECT_CONSTRUCT of {sorted(MODEL_PARAMETER_KEYS)}, got {params}")
    if values.get("show_details", "TRUE").upper() != "TRUE":
        raise SignatureError("prep reads usage from the detailed result: show_details => TRUE")
    return values["model"], values["prompt"], params


FUNCTION = "PREP_TEST_AI_COMPLETE"


def register_complete(responder, calls: list | None = None) -> list:
    """In the fakesnow server's process: the DuckDB function AI_COMPLETE is rewritten to, which records (model,
    prompt, parameters) in ``calls`` (returned) and answers ``responder(model, prompt)`` in the shape of the
    detailed result (choices[0].messages, usage)."""
    import fakesnow.server

    calls = [] if calls is None else calls

    def answer(model: str, prompt: str, params: str) -> str:
        calls.append((model, prompt, json.loads(params)))
        text = responder(model, prompt)
        used = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(str(text).split())}
        return json.dumps({"choices": [{"messages": text}], "created": 1730000000, "model": model,
                           "usage": {**used, "total_tokens": sum(used.values())}})

    duck = fakesnow.server.shared_fs.duck_conn
    try:
        duck.remove_function(FUNCTION)
    except Exception:  # not registered yet
        pass
    duck.create_function(FUNCTION, answer, ["VARCHAR", "VARCHAR", "VARCHAR"], "VARCHAR", side_effects=True)
    return calls


def keyword_responder(model: str, prompt: str) -> str:
    """Deterministic models for the loop: a judge that compares answer and reference, a labeller that reads the
    ticket's last word (answering a variant of one label, and no label for unclear tickets), tuned models that are
    right except ``*_V1`` on lost phones, and base models that always answer 'Roaming fees'."""
    if "Answer to grade:" in prompt:
        reference = prompt.split("Reference answer:\n", 1)[1].split("\n\nAnswer to grade:", 1)[0]
        return "5" if prompt.rsplit("Answer to grade:\n", 1)[1] == reference else "Score: 1 of 5"
    text = prompt.rsplit("Text:\n", 1)[-1]
    truth = next((label for word, label in (("roaming", "Roaming fees"), ("slow", "Slow data speed"),
                                             ("lost", "Lost phone")) if text.endswith(word)), None)
    if model.startswith("llama3.1-405b") or model == "llama3.1-70b":  # the labellers
        return {"Roaming fees": "roaming fees.", None: "I cannot tell"}.get(truth, truth)
    if model.endswith("_V1"):
        return "Slow data speed" if truth == "Lost phone" else truth
    if "." in model:  # another fine-tuned model (DB.SCHEMA.NAME): right everywhere
        return truth
    return "Roaming fees"


class CompleteSQL:
    """A Snowpark session in which each AI_COMPLETE call, in the documented named form, is checked
    (:func:`check_complete`) and rewritten to the function :func:`register_complete` put on the fakesnow server;
    everything else goes to the session unchanged. ``statements`` counts the statements that called AI_COMPLETE:
    one per model and step, never one per row."""

    def __init__(self, session) -> None:
        self.session, self.statements = session, 0

    def rewrite(self, sql: str) -> str:
        out, position, found = [], 0, False
        while (start := sql.find("AI_COMPLETE(", position)) >= 0:
            args, end = _split_call(sql, start + len("AI_COMPLETE"))
            model, prompt, params = check_complete(args)
            out.append(sql[position:start])
            out.append(f"PARSE_JSON({FUNCTION}({model}, {prompt}, TO_JSON({params})))")
            position, found = end, True
        self.statements += found
        return "".join(out) + sql[position:]

    def sql(self, query: str, params=None):
        return self.session.sql(self.rewrite(query), params=params)

    def __getattr__(self, name):
        return getattr(self.session, name)


class CompleteDouble(CompleteSQL):
    """:class:`CompleteSQL` and :func:`register_complete` in one process (the server is this test's)."""

    def __init__(self, session, responder) -> None:
        super().__init__(session)
        self.calls = register_complete(responder)
