"""The model catalog: base models and their limits, read from ``prep/data/models.toml``.

The catalog is data, not code, because Snowflake's list of base models and their numbers keeps changing. A user
adds or overrides a model from config (``[tool.prep.catalog.<name>]``); the keys are those of the data file.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from prep.errors import ConfigError, did_you_mean
from prep.tokenizers import FAMILIES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Kebab-case keys in the data file and in config, and the field each one fills.
_KEYS = {
    "context-tokens": "context_tokens",
    "prompt-budget": "prompt_budget",
    "completion-budget": "completion_budget",
    "data-cap-bytes": "data_cap_bytes",
    "rows-at-1-epoch": "rows_at_1_epoch",
    "credits-per-million-tokens": "credits_per_million_tokens",
    "tokenizer": "tokenizer",
    "source": "source",
}


@dataclass(frozen=True)
class ModelSpec:
    """One base model's limits. Token budgets are per row; caps are per training set."""

    name: str
    context_tokens: int
    prompt_budget: int
    completion_budget: int
    data_cap_bytes: int
    rows_at_1_epoch: int
    tokenizer: str
    source: str = ""
    # Estimated credits per million trained tokens (prep estimate); 0 when unknown. Not a published figure.
    credits_per_million_tokens: float = 0.0

    def row_limit(self, epochs: int) -> int:
        """Rows the model accepts for training at ``epochs`` epochs (rows at 1 epoch / epochs, rounded down)."""
        return self.rows_at_1_epoch // max(1, epochs)

    def budget(self, field: str) -> int:
        return self.prompt_budget if field == "prompt" else self.completion_budget


def _spec_from_table(name: str, table: Mapping[str, Any], where: str, base: ModelSpec | None = None) -> ModelSpec:
    values: dict[str, Any] = {} if base is None else {f.name: getattr(base, f.name) for f in fields(ModelSpec)}
    values["name"] = name
    for key, value in table.items():
        attr = _KEYS.get(key)
        if attr is None and isinstance(value, Mapping):
            dotted = f"{name}.{key}"
            raise ConfigError(
                f"{where}: model names with dots must be quoted in TOML: write [catalog.\"{dotted}\"], "
                f"not [catalog.{dotted}]"
            )
        if attr is None:
            raise ConfigError(f"{where}: unknown key '{key}' for model '{name}'{did_you_mean(key, _KEYS)}")
        if attr in ("tokenizer", "source"):
            if not isinstance(value, str):
                raise ConfigError(f"{where}: '{key}' of model '{name}' must be a string, got {value!r}")
            if attr == "tokenizer" and value not in FAMILIES:
                raise ConfigError(
                    f"{where}: unknown tokenizer '{value}' for model '{name}'{did_you_mean(value, FAMILIES)}; "
                    f"known: {', '.join(FAMILIES)}"
                )
        elif attr == "credits_per_million_tokens":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{where}: '{key}' of model '{name}' must be a non-negative number, got {value!r}")
            value = float(value)
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"{where}: '{key}' of model '{name}' must be a positive integer, got {value!r}")
        values[attr] = value
    missing = [k for k, attr in _KEYS.items() if attr not in values and attr not in ("source", "credits_per_million_tokens")]
    if missing:
        raise ConfigError(f"{where}: model '{name}' is missing {', '.join(missing)}")
    return ModelSpec(**values)


def load_catalog(overrides: Mapping[str, Mapping[str, Any]] | None = None, where: str = "config") -> dict[str, ModelSpec]:
    """The built-in catalog with ``overrides`` applied: a known name is updated key by key, a new name is added."""
    text = resources.files("prep").joinpath("data/models.toml").read_text(encoding="utf-8")
    catalog = {
        name: _spec_from_table(name, table, "prep/data/models.toml") for name, table in tomllib.loads(text).items()
    }
    for name, table in (overrides or {}).items():
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: catalog entry '{name}' must be a table of model limits")
        catalog[name] = _spec_from_table(name, table, where, base=catalog.get(name))
    return catalog


def resolve_models(requested: Iterable[str], catalog: Mapping[str, ModelSpec]) -> list[ModelSpec]:
    """Model specs for the requested names, in catalog order; ``all`` selects every model."""
    names: list[str] = []
    for name in requested:
        if name == "all":
            names.extend(catalog)
        elif name in catalog:
            names.append(name)
        else:
            raise ConfigError(f"unknown base model '{name}'{did_you_mean(name, catalog)}; known: {', '.join(catalog)}, all")
    order = {name: i for i, name in enumerate(catalog)}
    return [catalog[name] for name in sorted(set(names), key=order.__getitem__)]

