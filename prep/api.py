"""The public API. The CLI and the Snowpark handlers are thin front ends over these functions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from prep.catalog import load_catalog
from prep.config import Settings
from prep.dataset import Source
from prep.engine import run as engine
from prep.errors import ConfigError
from prep.readers import ReadLimits, read_source, source_from_frame
from prep.tokenizers import count_tokens_family


def count_tokens(base_model: str, texts: Sequence[str], *, catalog_overrides: dict | None = None) -> list[int]:
    """Exact token counts of ``texts`` for ``base_model``'s tokenizer: raw text, no BOS/EOS, batched."""
    catalog = load_catalog(catalog_overrides)
    if base_model not in catalog:
        from prep.errors import did_you_mean

        raise ConfigError(f"unknown base model '{base_model}'{did_you_mean(base_model, catalog)}")
    return [int(n) for n in count_tokens_family(catalog[base_model].tokenizer, list(texts))]


def load(
    data: str | Path | pl.DataFrame | Source,
    settings: Settings,
    *,
    role: str = "train",
    name: str | None = None,
) -> Source:
    """A :class:`Source` from a path, a polars frame or an existing source."""
    if isinstance(data, Source):
        data.role = role
        return data
    if isinstance(data, pl.DataFrame):
        return source_from_frame(
            data,
            name=name or role,
            prompt_col=settings.prompt_col,
            completion_col=settings.completion_col,
            role=role,
        )
    return read_source(
        data, prompt_col=settings.prompt_col, completion_col=settings.completion_col, role=role, name=name,
        limits=read_limits(settings),
    )


def read_limits(settings: Settings) -> ReadLimits:
    """The reading limits of ``settings``; ``max-input-bytes`` 0 means twice the largest data cap of the models
    checked (of the whole catalog when none is named): more than that is no training file for them."""
    limit = settings.max_input_bytes
    if not limit:
        catalog = load_catalog(settings.catalog)
        names = [n for n in settings.models if n in catalog] if "all" not in settings.models else list(catalog)
        limit = 2 * max(catalog[n].data_cap_bytes for n in (names or catalog))
    return ReadLimits(max_record_bytes=settings.max_record_bytes, max_input_bytes=limit)


def lint(
    train: str | Path | pl.DataFrame | Source,
    *,
    validation: str | Path | pl.DataFrame | Source | None = None,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    progress: engine.Progress | None = None,
    given: engine.Given | None = None,
) -> engine.LintResult:
    """Lint a training set (and optionally a validation set) against one or more base models.

    ``models`` overrides ``settings.models``; ``"all"`` selects the whole catalog. ``given`` hands the run
    measures computed elsewhere (:func:`prep.engine.run.run`).
    """
    settings = settings or Settings()
    if models is not None:
        settings = settings.with_overrides(models=tuple(models))
    the_plan = engine.plan(settings)  # configuration errors before any data is read
    report = progress or (lambda message: None)
    sources = []
    for data, role in ((train, "train"), (validation, "validation")):
        if data is not None:
            report(f"reading {role} data")
            sources.append(load(data, settings, role=role))
    return engine.run(sources, the_plan, progress, given)
