"""``prep estimate``: what a fine-tune of the data would train and cost, per base model.

Per model, over the training rows Cortex would train on (prompt and completion both text):

- input tokens: exact prompt + completion tokens with the model's tokenizer (no chat template; the service may add
  a few per row, see ``margin``), and trained tokens = input tokens x epochs, as Cortex bills and as DESCRIBE
  reports ``trained_tokens``;
- credits: trained tokens / 10^6 x the model's ``credits-per-million-tokens``. The shipped rates are ESTIMATES
  (base-model rates from third-party copies of Snowflake's 2024 consumption table, see prep/data/models.toml);
  set yours in ``[tool.prep.catalog."<model>"]``;
- the most epochs the row limit allows (rows at 1 epoch / rows, at most FINETUNE's 10), the rows that would be
  truncated (a side over its budget, with the margin), and whether the data fits: no truncation, within the data
  cap and within the row limit at the chosen epochs;
- the cheapest model that fits.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from prep.api import load
from prep.catalog import ModelSpec, load_catalog, resolve_models
from prep.config import Settings
from prep.dataset import Source
from prep.engine.context import Context, Progress
from prep.engine.fit import Fit
from prep.errors import ConfigError
from prep.measures.tokens import text_stats, token_counts


@dataclass(frozen=True)
class ModelEstimate:
    model: ModelSpec
    rows: int
    prompt_tokens: int
    completion_tokens: int
    epochs: int
    truncated_rows: int
    data_bytes: int
    margin: int

    @property
    def input_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def trained_tokens(self) -> int:
        return self.input_tokens * self.epochs

    @property
    def rate(self) -> float:
        return self.model.credits_per_million_tokens

    @property
    def credits(self) -> float:
        return self.trained_tokens / 1e6 * self.rate

    @property
    def fit(self) -> Fit:
        return Fit(self.model, self.rows, self.data_bytes, self.epochs)

    @property
    def max_epochs(self) -> int:
        """The most epochs the row limit allows (0: the rows exceed even one epoch's limit)."""
        return self.fit.max_epochs

    @property
    def fits(self) -> bool:
        return self.rows > 0 and self.truncated_rows == 0 and self.fit.fits

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.name,
            "rows": self.rows,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "input_tokens": self.input_tokens,
            "epochs": self.epochs,
            "trained_tokens": self.trained_tokens,
            "credits_per_million_tokens": self.rate,
            "credits": round(self.credits, 6),
            "max_epochs": self.max_epochs,
            "truncated_rows": self.truncated_rows,
            "data_bytes": self.data_bytes,
            "data_cap_bytes": self.model.data_cap_bytes,
            "row_limit": self.model.row_limit(self.epochs),
            "fits": self.fits,
        }


@dataclass
class Estimate:
    source: Source
    estimates: list[ModelEstimate]

    @property
    def cheapest_fit(self) -> ModelEstimate | None:
        fitting = [e for e in self.estimates if e.fits]
        return min(fitting, key=lambda e: (e.credits, e.model.name)) if fitting else None

    def to_dict(self) -> dict[str, Any]:
        cheapest = self.cheapest_fit
        return {
            "schema_version": 1,
            "source": self.source.to_dict(),
            "models": [e.to_dict() for e in self.estimates],
            "cheapest_fit": cheapest.model.name if cheapest else None,
            "rates_are_estimates": True,
        }


def estimate(
    data: str | Path | pl.DataFrame | Source,
    *,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Estimate:
    """Tokens, trained tokens, credits and fit of ``data`` for each selected base model."""
    settings = settings or Settings()
    if models is not None:
        settings = settings.with_overrides(models=tuple(models))
    models = resolve_models(settings.models, load_catalog(settings.catalog, f"{settings.origin}: catalog"))
    if not models:
        raise ConfigError("no base model given: pass --model NAME (or --model all), or set 'model' in config")
    source = load(data, settings, role="train")
    ctx = Context([source], models, settings, progress)
    return Estimate(source=source, estimates=estimate_source(ctx, source, models, settings))


def estimate_source(ctx: Context, source: Source, models: Sequence[ModelSpec], settings: Settings) -> list[ModelEstimate]:
    """The estimate of one source per model, from counts in ``ctx`` (a lint run's context reuses its counts)."""
    pairs = source.pair_rows().select("row")
    data_bytes = text_stats(ctx, source)[1]
    out = []
    for model in models:
        counts = {}
        for field_name in ("prompt", "completion"):
            tokens = token_counts(ctx, source, field_name, model.tokenizer)
            counts[field_name] = pairs.join(tokens, on="row", how="left")["tokens"].fill_null(0)
        over = (counts["prompt"] + settings.margin > model.prompt_budget) | (
            counts["completion"] + settings.margin > model.completion_budget
        )
        out.append(
            ModelEstimate(
                model=model,
                rows=pairs.height,
                prompt_tokens=int(counts["prompt"].sum()),
                completion_tokens=int(counts["completion"].sum()),
                epochs=settings.epochs,
                truncated_rows=int(over.sum()),
                data_bytes=data_bytes,
                margin=settings.margin,
            )
        )
    return out


def render(result: Estimate) -> str:
    header = ["model", "rows", "input tokens", "epochs", "trained tokens", "credits/M", "credits", "max epochs",
              "truncated", "fits"]
    rows = [header] + [
        [
            e.model.name,
            f"{e.rows:,}",
            f"{e.input_tokens:,}",
            str(e.epochs),
            f"{e.trained_tokens:,}",
            f"{e.rate:g}",
            f"{e.credits:,.4f}",
            str(e.max_epochs),
            f"{e.truncated_rows:,}",
            "yes" if e.fits else "NO",
        ]
        for e in result.estimates
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = [f"{result.source.name}: {result.estimates[0].rows if result.estimates else 0:,} training rows"]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    cheapest = result.cheapest_fit
    skipped = result.source.n_records - (result.estimates[0].rows if result.estimates else 0)
    if skipped:
        lines.append(
            f"  ({skipped:,} record{'s are' if skipped != 1 else ' is'} not a prompt/completion pair of strings and "
            "not counted; prep lint says why)"
        )
    lines.append("")
    if cheapest:
        lines.append(
            f"cheapest model that fits without truncation: {cheapest.model.name} "
            f"({cheapest.credits:,.4f} credits at {cheapest.epochs} epochs)"
        )
    else:
        lines.append("no selected model fits the data without truncation, within its data cap and row limit")
    margin = result.estimates[0].margin if result.estimates else 0
    lines += textwrap.wrap(
        "Credits are estimates: trained tokens (input tokens x epochs) x credits per million tokens from the catalog, "
        "whose shipped rates are not published figures (see prep/data/models.toml; set your own in "
        f"[tool.prep.catalog]). Truncated rows: a side over its budget with a margin of {margin} tokens. Input "
        "tokens are prompt + completion tokens without a chat template.",
        width=110,
    )
    return "\n".join(lines) + "\n"
