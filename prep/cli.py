"""The ``prep`` command: a thin layer over :mod:`prep.api`.

Exit codes: 0 no error-severity findings, 1 error findings, 2 usage, configuration or input error (one line on
stderr, never a traceback; set ``PREP_DEBUG=1`` to see the traceback of an internal error).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from prep import __version__, api, config
from prep.catalog import load_catalog
from prep.errors import PrepError
from prep.progress import Progress
from prep.reporters import REPORTERS


def _split(values: Sequence[str]) -> tuple[str, ...] | None:
    """Repeated and comma-separated values (``--select TK,SC --select DU001``), or None when not given."""
    if not values:
        return None
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _settings(config_file: str | None) -> config.Settings:
    return config.load_file(config_file) if config_file else config.discover()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prep")
def cli() -> None:
    """Lint and prepare prompt/completion data for Snowflake Cortex fine-tuning."""


@cli.command()
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option("--validation", "validation", metavar="PATH", help="A validation file to lint alongside.")
@click.option(
    "--model", "-m", "models", multiple=True, metavar="NAME",
    help="Base model to check (repeatable, or 'all'). Default: 'model' from config.",
)
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("--select", multiple=True, metavar="RULES", help="Rules to run: codes, names or prefixes (TK, SC00).")
@click.option("--ignore", multiple=True, metavar="RULES", help="Rules to skip: codes, names or prefixes.")
@click.option("--config", "config_file", metavar="FILE", help="Config file (default: nearest prep.toml or pyproject.toml).")
@click.option("--epochs", type=click.IntRange(1, config.MAX_EPOCHS), help="Epochs for the row limit (SZ002). Default 3.")
@click.option("--margin", type=click.IntRange(min=0), help="Tokens reserved on each side for template/service differences. Default 16.")
@click.option("--prompt-col", metavar="COLUMN", help="Column holding the prompt (default 'prompt').")
@click.option("--completion-col", metavar="COLUMN", help="Column holding the completion (default 'completion').")
@click.option("--progress/--no-progress", default=None, help="Progress on stderr (default: when stderr is a terminal).")
def lint(
    path: str,
    validation: str | None,
    models: tuple[str, ...],
    output_format: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_file: str | None,
    epochs: int | None,
    margin: int | None,
    prompt_col: str | None,
    completion_col: str | None,
    progress: bool | None,
) -> None:
    """Check PATH (JSONL, JSON, CSV or Parquet) for problems before Cortex fine-tuning."""
    settings = _settings(config_file).with_overrides(
        models=_split(models),
        select=_split(select),
        ignore=_split(ignore),
        epochs=epochs,
        margin=margin,
        prompt_col=prompt_col,
        completion_col=completion_col,
    )
    bar = Progress(enabled=progress)
    try:
        result = api.lint(path, validation=validation, settings=settings, progress=bar)
    finally:
        bar.close()
    click.echo(REPORTERS[output_format](result), nl=False)
    sys.exit(result.exit_code)


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
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the CLI and turns every error into one line and exit code 2."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="prep", standalone_mode=False)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        return code
    except click.exceptions.Abort:
        click.echo("prep: error: aborted", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"prep: error: {exc.format_message()}", err=True)
        return 2
    except PrepError as exc:
        click.echo(f"prep: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("prep: error: interrupted", err=True)
        return 2
    except Exception as exc:  # never a traceback for the user; PREP_DEBUG=1 shows it
        if os.environ.get("PREP_DEBUG"):
            raise
        click.echo(f"prep: error: internal error: {type(exc).__name__}: {exc} (set PREP_DEBUG=1 for details)", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
