"""The public API. The CLI and the Snowpark handlers are thin front ends over these functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import overload

import polars as pl

from prep.catalog import load_catalog
from prep.config import Settings, discover, load_file
from prep.dataset import Source
from prep.engine import run as engine
from prep.errors import ConfigError
from prep.readers import ReadLimits, read_source, source_from_frame
from prep.tokenizers import count_tokens_family


@overload
def count_tokens(base_model: str, texts: str, *, catalog_overrides: dict | None = None) -> int: ...
@overload
def count_tokens(base_model: str, texts: Iterable[str], *, catalog_overrides: dict | None = None) -> list[int]: ...


def count_tokens(base_model: str, texts: str | Iterable[str], *, catalog_overrides: dict | None = None) -> int | list[int]:
    """Exact token counts for ``base_model``'s tokenizer: raw text, no BOS/EOS, batched.

    One string gives one count (``count_tokens("llama3-8b", "hi") == 1``); a list (or any iterable of strings)
    gives a list of counts in the same order.
    """
    catalog = load_catalog(catalog_overrides)
    if not isinstance(base_model, str) or base_model not in catalog:
        from prep.errors import did_you_mean

        raise ConfigError(f"unknown base model {base_model!r}{did_you_mean(str(base_model), catalog)}")
    single = isinstance(texts, str)
    batch = [texts] if single else list(texts)
    if not all(isinstance(t, str) for t in batch):
        raise ConfigError("count_tokens takes a string or a list of strings")
    counts = [int(n) for n in count_tokens_family(catalog[base_model].tokenizer, batch)]
    return counts[0] if single else counts


def load_config(path: str | Path | None = None, *, start: str | Path | None = None) -> Settings:
    """The settings ``prep lint`` would use: the file at ``path`` (a ``prep.toml``, or a ``pyproject.toml``'s
    ``[tool.prep]``), or, without one, the nearest such file from ``start`` (default: the working directory)
    upwards; defaults when there is none. Pass the result to :func:`lint` as ``settings``."""
    return load_file(path) if path is not None else discover(start)


def load(
    data: str | Path | pl.DataFrame | Source,
    settings: Settings | None = None,
    *,
    role: str = "train",
    name: str | None = None,
) -> Source:
    """A :class:`Source` from a path, a polars frame or an existing source; ``settings`` (default
    :class:`Settings`) give the column names and reading limits."""
    settings = settings or Settings()
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


def _input_bytes(data) -> int:
    """The size of an input to lint: a file's on disk, a frame's in memory; 0 when there is none or it is unknown."""
    if isinstance(data, Source):
        data = data.frame
    if isinstance(data, pl.DataFrame):
        return int(data.estimated_size())
    try:
        return Path(data).stat().st_size if data is not None else 0
    except (OSError, TypeError, ValueError):  # reading it says what is wrong
        return 0


def lint(
    train: str | Path | pl.DataFrame | Source,
    *,
    validation: str | Path | pl.DataFrame | Source | None = None,
    settings: Settings | None = None,
    models: str | Sequence[str] | None = None,
    select: str | Sequence[str] | None = None,
    ignore: str | Sequence[str] | None = None,
    progress: engine.Progress | None = None,
    given: engine.Given | None = None,
) -> engine.LintResult:
    """Lint a training set (and optionally a validation set) against one or more base models.

    ``models``, ``select`` and ``ignore`` (a string or a list) override ``settings``; ``"all"`` selects the whole
    catalog. No config file is read: ``prep.lint`` depends only on its arguments, never on the working directory.
    For what ``prep lint`` does, pass ``settings=prep.load_config()`` (or ``load_config("path/prep.toml")``).
    ``given`` hands the run measures computed elsewhere (:func:`prep.engine.run.run`).

    On a small input (up to 8 MB), a worker process starts loading the PII engine before the data is read; it is
    stopped when the call returns (the command line keeps it for its next file).
    """
    settings = settings or Settings()
    settings = settings.with_overrides(models=models, select=select, ignore=ignore)  # a string is one name
    the_plan = engine.plan(settings)  # configuration errors before any data is read
    engine.warm(the_plan, _input_bytes(train) + _input_bytes(validation))
    try:
        report = progress or (lambda message: None)
        sources = []
        for data, role in ((train, "train"), (validation, "validation")):
            if data is not None:
                report(f"reading {role} data")
                sources.append(load(data, settings, role=role))
        return engine.run(sources, the_plan, progress, given)
    finally:
        engine.settle(the_plan)
