"""The ``prep`` command: a thin layer over :mod:`prep.api`.

Exit codes: 0 no error-severity findings, 1 error findings, 2 usage, configuration or input error (one line on
stderr, never a traceback; set ``PREP_DEBUG=1`` to see the traceback of an internal error).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Sequence

import click

from prep import __version__, api, config
from prep.catalog import load_catalog
from prep.errors import PrepError
from prep.prepare import (
    DUPLICATE_POLICIES,
    ERROR_POLICIES,
    PII_POLICIES,
    PrepareOptions,
)
from prep.progress import Progress
from prep.quoting import terminal_safe
from prep.reporters import REPORTERS


def _echo(message: str = "", **kwargs) -> None:
    """click.echo, with anything that could act on the terminal escaped (file names and messages quote the data)."""
    click.echo(terminal_safe(message), **kwargs)


def _split(values: Sequence[str]) -> tuple[str, ...] | None:
    """Repeated and comma-separated values (``--select TK,SC --select DU001``), or None when not given."""
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _settings(config_file: str | None) -> config.Settings:
    return config.load_file(config_file) if config_file else config.discover()


def _model_option(help_text: str):
    return click.option("--model", "-m", "models", multiple=True, metavar="NAME", help=help_text)


# The options that set a Setting, declared once; a command names those it takes (see _with_settings).
_SETTING_OPTIONS = {
    "select": click.option("--select", multiple=True, metavar="RULES", help="Rules to run: codes, names or prefixes (TK, SC00)."),
    "ignore": click.option("--ignore", multiple=True, metavar="RULES", help="Rules to skip: codes, names or prefixes."),
    "config_file": click.option("--config", "config_file", metavar="FILE", help="Config file (default: nearest prep.toml or pyproject.toml)."),
    "epochs": click.option("--epochs", type=click.IntRange(1, config.MAX_EPOCHS), help="Epochs to train: the row limit and the trained tokens assume it. Default 3."),
    "margin": click.option("--margin", type=click.IntRange(min=0), help="Tokens reserved on each side for template/service differences. Default 16."),
    "prompt_col": click.option("--prompt-col", metavar="COLUMN", help="Column holding the prompt (default 'prompt')."),
    "completion_col": click.option("--completion-col", metavar="COLUMN", help="Column holding the completion (default 'completion')."),
}
_RUN_SETTINGS = tuple(_SETTING_OPTIONS)  # lint and prepare take them all
_PROGRESS = click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when stderr is a terminal).")


def _with_settings(*names: str):
    """Adds the named setting options to a command that also takes ``--model``; the command receives ``settings``
    (the config file with those flags and the models applied) in their place."""

    def decorate(command):
        @functools.wraps(command)
        def wrapper(*args, models: tuple[str, ...], **kwargs):
            flags = {name: kwargs.pop(name) for name in names}
            settings = _settings(flags.pop("config_file", None)).with_overrides(
                models=_split(models),
                **{name: _split(value) if name in ("select", "ignore") else value for name, value in flags.items()},
            )
            return command(*args, settings=settings, **kwargs)

        for name in reversed(names):
            wrapper = _SETTING_OPTIONS[name](wrapper)
        return wrapper

    return decorate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prep")
def cli() -> None:
    """Lint and prepare prompt/completion data for Snowflake Cortex fine-tuning."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str), metavar="PATH...")
@click.option("--validation", "validation", metavar="PATH", help="A validation file to lint alongside.")
@_model_option("Base model to check (repeatable, or 'all'). Default: 'model' from config.")
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--baseline", "baseline", metavar="FILE", help="Report only findings not recorded in this baseline.")
@click.option("--write-baseline", "write_baseline", metavar="FILE", help="Record the current findings as a baseline and exit 0.")
@click.option("--html", "html_file", metavar="FILE", help="Also write a self-contained HTML report with charts.")
@_PROGRESS
@_with_settings(*_RUN_SETTINGS)
def lint(
    paths: tuple[str, ...],
    validation: str | None,
    output_format: str,
    baseline: str | None,
    write_baseline: str | None,
    html_file: str | None,
    settings: config.Settings,
    progress: bool | None,
) -> None:
    """Check PATH (JSONL, JSON, CSV or Parquet) for problems before Cortex fine-tuning.

    Several PATHs (as a pre-commit hook passes them) are linted one by one, each as its own dataset, with text
    or github output; the exit code is the worst of them.
    """
    if len(paths) > 1:
        if validation or baseline or write_baseline or html_file or output_format not in ("text", "github"):
            raise click.UsageError(
                "several PATHs are linted one by one: use one PATH with --validation, --baseline, --write-baseline, "
                "--html or --format json/junit/sarif"
            )
        worst = 0
        for one in paths:
            result = api.lint(one, settings=settings)
            _echo(REPORTERS[output_format](result), nl=False)
            worst = max(worst, result.exit_code)
        sys.exit(worst)
    (path,) = paths
    bar = Progress(enabled=progress)
    try:
        result = api.lint(path, validation=validation, settings=settings, progress=bar)
    finally:
        bar.close()
    if write_baseline:
        from prep.suppress import write_baseline as write

        n = write(write_baseline, result.findings, result.sources)
        _echo(f"wrote {write_baseline}: {n:,} findings recorded")
        sys.exit(0)
    if baseline:
        from prep.suppress import apply_baseline

        outcome = apply_baseline(baseline, result.findings, result.sources)
        result.findings = outcome.findings
        result.notes["baseline"] = {
            "text": f"{outcome.suppressed:,} findings in {baseline} not reported; {len(outcome.stale):,} baseline "
            "entries no longer match",
            "suppressed": outcome.suppressed,
            "stale": len(outcome.stale),
        }
        if outcome.stale:
            listed = "; ".join(f"{e['code']} {e['source']}:{e['row']}" for e in outcome.stale[:5])
            more = f" and {len(outcome.stale) - 5:,} more" if len(outcome.stale) > 5 else ""
            _echo(
                f"prep: warning: {len(outcome.stale):,} baseline entries no longer match (fixed, or the row changed): "
                f"{listed}{more}",
                err=True,
            )
    if html_file:
        from pathlib import Path

        from prep.reporters import html

        try:
            Path(html_file).write_text(html.render(html.collect(result)), encoding="utf-8")
        except OSError as exc:
            raise click.UsageError(f"cannot write {html_file}: {exc.strerror or exc}") from None
    _echo(REPORTERS[output_format](result), nl=False)
    sys.exit(result.exit_code)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option("--out", "out_dir", required=True, metavar="DIR", help="Output directory (created; must be empty unless --force).")
@_model_option("Base model(s) the data must fit (repeatable, or 'all'). Default: 'model' from config.")
@click.option("--validation", "validation", metavar="PATH", help="Use this validation file instead of splitting.")
@click.option("--validation-fraction", type=float, default=PrepareOptions.validation_fraction, show_default=True, help="Share of rows for validation (0 to 0.5).")
@click.option("--seed", type=int, default=PrepareOptions.seed, show_default=True, help="Seed of the content-based split.")
@click.option("--pii", type=click.Choice(PII_POLICIES), default=PrepareOptions.pii, show_default=True, help="Rows with PII: drop them, redact the spans, or keep them.")
@click.option("--duplicates", type=click.Choice(DUPLICATE_POLICIES), default=PrepareOptions.duplicates, show_default=True, help="Exact and near duplicates: keep one row per group, or all.")
@click.option("--errors", type=click.Choice(ERROR_POLICIES), default=PrepareOptions.errors, show_default=True, help="Rows with error findings: exclude them, keep them, or write nothing and exit 1.")
@click.option("--force", is_flag=True, help="Replace an output directory that prep wrote before (never one holding anything else).")
@_PROGRESS
@_with_settings(*_RUN_SETTINGS)
def prepare(
    path: str,
    out_dir: str,
    validation: str | None,
    validation_fraction: float,
    seed: int,
    pii: str,
    duplicates: str,
    errors: str,
    force: bool,
    settings: config.Settings,
    progress: bool | None,
) -> None:
    """Write clean train.jsonl, validation.jsonl, excluded.jsonl and manifest.json for PATH into DIR.

    Every input row lands in exactly one of the three data files; the same input and options give
    byte-identical files.
    """
    from prep.prepare import PrepareOptions
    from prep.prepare import prepare as run_prepare

    options = PrepareOptions(
        validation_fraction=validation_fraction, seed=seed, pii=pii, duplicates=duplicates, errors=errors
    )
    bar = Progress(enabled=progress)
    try:
        result = run_prepare(path, out_dir, validation=validation, settings=settings, options=options, force=force, progress=bar)
    finally:
        bar.close()
    counts = result.counts
    _echo(
        f"wrote {out_dir}: {counts['train']:,} train, {counts['validation']:,} validation, {counts['excluded']:,} "
        f"excluded, of {counts['input_rows']:,} input rows"
    )
    if counts["excluded_by_reason"]:
        _echo("excluded by reason: " + ", ".join(f"{c} {n:,}" for c, n in counts["excluded_by_reason"].items()))
    if counts["redacted_rows"]:
        _echo(f"redacted PII in {counts['redacted_rows']:,} rows")
    labels = result.manifest["labels"]
    if labels["label_like"]:
        _echo("labels (train / validation): " + ", ".join(
            f"{label} {n:,}/{labels['validation'].get(label, 0):,}" for label, n in labels["train"].items()
        ))
    for finding in result.manifest["unresolved_errors"]:
        _echo(f"prep: warning: not fixable by removing rows: {finding['code']} {finding['message']}", err=True)


@cli.command()
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@_model_option("Base model(s) to estimate (repeatable, or 'all'). Default: 'model' from config.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_with_settings("epochs", "margin", "config_file", "prompt_col", "completion_col")
def estimate(path: str, output_format: str, settings: config.Settings) -> None:
    """Trained tokens, estimated credits, epochs and fit of PATH for each base model."""
    import json

    from prep import estimate as estimating

    result = estimating.estimate(path, settings=settings)
    if output_format == "json":
        _echo(json.dumps(result.to_dict(), indent=2))
    else:
        _echo(estimating.render(result), nl=False)


@cli.command()
@click.argument("code", required=False)
def rules(code: str | None) -> None:
    """List the rules (code, name, default severity, summary), or print the documentation of one (code or name)."""
    import inspect

    from prep.engine.pack import all_rules, lookup

    known = all_rules()
    if code is None:
        rows = [[r.code, r.name, r.severity.value, (inspect.getdoc(r) or "").splitlines()[0]] for r in known]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            _echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3])
        return
    rule = lookup(code, "prep rules")
    _echo(f"{rule.code} {rule.name} (default severity: {rule.severity.value}; rules/{rule.__module__.split('.')[-1]}.py)\n")
    _echo(inspect.getdoc(rule))


@cli.command()
@click.option("--config", "config_file", metavar="FILE", help="Config file whose catalog overrides apply.")
def models(config_file: str | None) -> None:
    """List the base models in the catalog with their budgets and caps."""
    settings = _settings(config_file)
    catalog = load_catalog(settings.catalog, f"{settings.origin}: catalog")
    header = ["model", "context", "prompt", "completion", "data cap (bytes)", "rows at 1 epoch", "tokenizer"]
    rows = [header] + [
        [
            m.name,
            f"{m.context_tokens:,}",
            f"{m.prompt_budget:,}",
            f"{m.completion_budget:,}",
            f"{m.data_cap_bytes:,}",
            f"{m.rows_at_1_epoch:,}",
            m.tokenizer,
        ]
        for m in catalog.values()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        _echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


class _Interrupted(BaseException):
    """Ctrl-C, raised by our own SIGINT handler: click turns a KeyboardInterrupt into a blank line and "aborted"."""


def _interrupt(signum, frame) -> None:
    raise _Interrupted()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the CLI and turns every error into one line and exit code 2."""
    import signal
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, _interrupt)
    try:
        return _main(argv)
    except _Interrupted:  # the run's cleanup (stopping worker processes) has run on the way out
        _echo("prep: error: interrupted", err=True)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _main(argv: Sequence[str] | None) -> int:
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="prep", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        return code
    except click.exceptions.Abort:
        _echo("prep: error: aborted", err=True)
        return 2
    except click.exceptions.NoSuchOption as exc:  # one wording, whatever click's version (8.1 and 8.2 differ)
        hint = f" (did you mean {' or '.join(sorted(exc.possibilities))}?)" if exc.possibilities else ""
        _echo(f"prep: error: No such option '{exc.option_name}'{hint}", err=True)
        return 2
    except click.ClickException as exc:
        _echo(f"prep: error: {exc.format_message()}", err=True)
        return 2
    except PrepError as exc:
        _echo(f"prep: error: {exc}", err=True)
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        _echo("prep: error: interrupted", err=True)
        return 2
    except Exception as exc:  # never a traceback for the user; PREP_DEBUG=1 shows it
        if os.environ.get("PREP_DEBUG"):
            raise
        _echo(f"prep: error: internal error: {type(exc).__name__}: {exc} (set PREP_DEBUG=1 for details)", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
