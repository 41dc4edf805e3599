"""Configuration: ``[tool.prep]`` in ``pyproject.toml`` or the top level of ``prep.toml``; CLI flags override it.

Example (``prep.toml``)::

    model = ["llama3.1-8b", "mistral-7b"]   # base models to check when --model is not given
    epochs = 3                              # for SZ002 (rows at 1 epoch / epochs)
    margin = 16                             # tokens reserved on each side for template/service differences
    select = ["ALL"]                        # codes, names or code prefixes
    ignore = ["DU003"]
    prompt-col = "question"
    completion-col = "answer"

    [severity]
    exact-duplicate = "error"

    [rules.too-few-rows]
    min-rows = 300

    [labels]                                # when completions count as class labels (see prep.measures.labels)
    mode = "auto"

    max-record-bytes = 67108864             # a record over this is reported (IO001), not read
    max-input-bytes = 0                     # gzip input decompressing past this is refused (0: 2x the largest cap)

    [catalog.my-model]                      # add or override a base model (keys as in prep/data/models.toml)
    context-tokens = 8192
    prompt-budget = 6144
    ...

Unknown keys, rules, options and models are errors, with a did-you-mean.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from prep.errors import ConfigError, did_you_mean
from prep.finding import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Margin default: a single-turn Llama 3 chat template adds 11 tokens, and the service's counter differed from
# Meta's tokenizer by one token on Snowflake's own example; 16 covers both with a little room.
DEFAULT_MARGIN = 16
DEFAULT_EPOCHS = 3
MAX_EPOCHS = 10  # FINETUNE's max_epochs accepts 1..10
# A record of 64 MiB is over every model's token budget by three orders of magnitude: nothing larger is worth
# reading, and nothing smaller could still fit a budget.
DEFAULT_MAX_RECORD_BYTES = 64 << 20


@dataclass(frozen=True)
class LabelSettings:
    mode: str = "auto"
    max_classes: int = 50
    max_distinct_share: float = 0.5
    max_label_chars: int = 100

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str) -> LabelSettings:
        known = {"mode": "mode", "max-classes": "max_classes", "max-distinct-share": "max_distinct_share",
                 "max-label-chars": "max_label_chars"}
        values: dict[str, Any] = {}
        for key, value in table.items():
            attr = known.get(key) or known.get(key.replace("_", "-"))
            if attr is None:
                raise ConfigError(f"{where}: unknown key 'labels.{key}'{did_you_mean(key, known)}; keys: {', '.join(known)}")
            values[attr] = value
        settings = cls(**values)
        if settings.mode not in ("auto", "on", "off"):
            raise ConfigError(f"{where}: labels.mode must be 'auto', 'on' or 'off', got {settings.mode!r}")
        for name in ("max_classes", "max_label_chars"):
            value = getattr(settings, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{where}: labels.{name.replace('_', '-')} must be a positive integer, got {value!r}")
        share = settings.max_distinct_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ConfigError(f"{where}: labels.max-distinct-share must be in (0, 1], got {share!r}")
        return settings


@dataclass(frozen=True)
class Settings:
    """Everything a run is configured with: the ``[tool.prep]`` keys (see the README's Configuration), as values.

    Build one directly (``Settings(models=("llama3-8b",), select=("TK", "DU"))``), from a file with
    :func:`prep.load_config` (what ``prep lint`` does), or change one with :meth:`with_overrides`. It is frozen:
    runs never modify it. A single string is accepted where a sequence is expected (``models="llama3-8b"``);
    :meth:`validate` refuses out-of-range values with a :class:`~prep.errors.ConfigError` naming ``origin``.

    - ``models``: base model names, or ``"all"``; ``epochs`` and ``margin`` (tokens reserved per side) as in Cortex.
    - ``select`` / ``ignore``: rule codes, names or prefixes; ``severity``: code -> ``error|warning|info``.
    - ``prompt_col`` / ``completion_col``: the columns read as prompt and completion.
    - ``rules``: per-rule options (``{"near-duplicate": {"threshold": 0.7}}``); ``catalog``: model overrides;
      ``labels``: label detection (:class:`LabelSettings`); ``per_source_ignores``: glob -> rules.
    - ``max_record_bytes`` / ``max_input_bytes``: reading limits; ``origin``: where the values came from (used in
      messages); ``root``: the folder ``per_source_ignores`` globs are relative to.
    """

    models: tuple[str, ...] = ()
    epochs: int = DEFAULT_EPOCHS
    margin: int = DEFAULT_MARGIN
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    prompt_col: str = "prompt"
    completion_col: str = "completion"
    severity: Mapping[str, str] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    catalog: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    labels: Mapping[str, Any] = field(default_factory=dict)  # label detection, see prep.labels
    per_source_ignores: Mapping[str, Any] = field(default_factory=dict)  # glob -> rules, see prep.suppress
    # Reading limits (prep.readers.stream.ReadLimits): a record over max-record-bytes is reported, not read; gzip
    # input over max-input-bytes decompressed is refused (0: twice the largest data cap of the models checked).
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    max_input_bytes: int = 0
    origin: str = "defaults"
    # The folder ``per-source-ignores`` globs are relative to: the config file's, else the working directory at run
    # time (as ruff resolves its per-file-ignores), so a path matches however it is typed on the command line.
    root: str = ""

    def __post_init__(self) -> None:
        for name in ("models", "select", "ignore"):  # "llama3-8b" means ("llama3-8b",), never its characters
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                try:
                    object.__setattr__(self, name, tuple(value))
                except TypeError:
                    raise ConfigError(f"{self.origin}: '{name}' must be a string or a list of strings, got {value!r}") from None
            if not all(isinstance(v, str) for v in getattr(self, name)):
                raise ConfigError(f"{self.origin}: '{name}' must be a string or a list of strings, got {value!r}")

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the non-None ``changes`` applied (how CLI flags override the file)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def validate(self) -> Settings:
        where = self.origin
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or not 1 <= self.epochs <= MAX_EPOCHS:
            raise ConfigError(f"{where}: epochs must be an integer from 1 to {MAX_EPOCHS}, got {self.epochs!r}")
        if isinstance(self.margin, bool) or not isinstance(self.margin, int) or self.margin < 0:
            raise ConfigError(f"{where}: margin must be a non-negative integer, got {self.margin!r}")
        for key, value in self.severity.items():
            try:
                Severity.parse(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: severity of '{key}': {exc}") from None
        for name in ("max_record_bytes", "max_input_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (1 if name == "max_record_bytes" else 0):
                raise ConfigError(f"{where}: {name.replace('_', '-')} must be a positive integer (bytes), got {value!r}")
        self.label_settings()
        if not all(isinstance(k, str) for k in self.per_source_ignores):
            raise ConfigError(f"{where}: per-source-ignores must map path globs to rules")
        return self  # the rules named in per-source-ignores are checked with the rest, by prep.engine.run.plan

    def label_settings(self) -> LabelSettings:
        return LabelSettings.from_table(self.labels, self.origin)


_KEYS = {
    "model": "models",
    "epochs": "epochs",
    "margin": "margin",
    "select": "select",
    "ignore": "ignore",
    "prompt-col": "prompt_col",
    "completion-col": "completion_col",
    "severity": "severity",
    "rules": "rules",
    "catalog": "catalog",
    "labels": "labels",
    "per-source-ignores": "per_source_ignores",
    "max-record-bytes": "max_record_bytes",
    "max-input-bytes": "max_input_bytes",
}


def settings_from_table(table: Mapping[str, Any], where: str) -> Settings:
    values: dict[str, Any] = {"origin": where}
    for key, value in table.items():
        attr = _KEYS.get(key) or _KEYS.get(key.replace("_", "-"))
        if attr is None:
            raise ConfigError(f"{where}: unknown key '{key}'{did_you_mean(key, _KEYS)}; keys: {', '.join(_KEYS)}")
        if attr in ("models", "select", "ignore"):
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: '{key}' must be a list of strings, got {value!r}")
            value = tuple(value)
        elif attr in ("prompt_col", "completion_col"):
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: '{key}' must be a column name, got {value!r}")
        elif attr in ("severity", "rules", "catalog", "labels", "per_source_ignores"):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: '{key}' must be a table")
            if attr == "rules" and not all(isinstance(v, Mapping) for v in value.values()):
                raise ConfigError(f"{where}: each entry of 'rules' must be a table of options, e.g. [rules.too-few-rows]")
            value = dict(value)
        values[attr] = value
    return Settings(**values).validate()


def load_file(path: str | Path) -> Settings:
    """Settings from an explicit file: ``pyproject.toml`` (its ``[tool.prep]``) or any other TOML file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("prep", {})
        return replace(settings_from_table(table, f"{path} [tool.prep]"), root=str(path.resolve().parent))
    return replace(settings_from_table(data, str(path)), root=str(path.resolve().parent))


def discover(start: str | Path | None = None) -> Settings:
    """The nearest ``prep.toml``, or ``pyproject.toml`` with a ``[tool.prep]`` table, from ``start`` upwards."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "prep.toml"
        if candidate.is_file():
            return load_file(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                has_table = "prep" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                has_table = False
            if has_table:
                return load_file(pyproject)
    return Settings()
