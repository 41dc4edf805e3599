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
from prep.quoting import counted, terminal_safe
from prep.reporters import COMBINED, REPORTERS


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
            for option in ("select", "ignore"):
                _check_rules(f"--{option}", _split(flags.get(option) or ()))
            settings = _settings(flags.pop("config_file", None)).with_overrides(
                models=_split(models),
                **{name: _split(value) if name in ("select", "ignore") else value for name, value in flags.items()},
            )
            return command(*args, settings=settings, **kwargs)

        for name in reversed(names):
            wrapper = _SETTING_OPTIONS[name](wrapper)
        return wrapper

    return decorate


def _usage(message: str) -> click.UsageError:
    """A usage error tied to the running command, so that the message ends with its help hint."""
    return click.UsageError(message, ctx=click.get_current_context(silent=True))


def _check_rules(option: str, entries: Sequence[str] | None) -> None:
    """An unknown rule on the command line is blamed on its option, before the config is applied."""
    from prep.engine import pack
    from prep.errors import did_you_mean

    rules = pack.all_rules()
    for entry in entries or ():
        if not any(pack.matches(entry, cls) for cls in rules):
            choices = ["ALL"] + [c.code for c in rules] + [c.name for c in rules]
            raise _usage(f"{option}: unknown rule or prefix '{entry}'{did_you_mean(entry, choices)}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prep")
def cli() -> None:
    """Lint and prepare prompt/completion data for Snowflake Cortex fine-tuning."""


_SEVERITIES = ("info", "warning", "error")


class _Output:
    """Where the report goes (standard output or ``-o FILE``) and how text is shown: quiet, with statistics, in
    colour on a terminal unless ``NO_COLOR`` is set (https://no-color.org)."""

    def __init__(self, path: str | None, output_format: str, quiet: bool, statistics: bool) -> None:
        self.path, self.format, self.quiet, self.statistics = path, output_format, quiet, statistics
        self.parts: list[str] = []
        self.results: list = []
        self.text_results: list = []
        self.several = False  # set by lint when several PATHs are linted
        self.colour = path is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        if path is not None:  # a path that cannot be written fails before the work, and nothing is left behind
            from pathlib import Path

            target = Path(path)
            folder = target.parent if str(target.parent) else Path(".")
            if target.is_dir() or not folder.is_dir() or not os.access(target if target.exists() else folder, os.W_OK):
                why = "is a directory" if target.is_dir() else "no such directory" if not folder.is_dir() else "permission denied"
                raise _usage(f"cannot write {path}: {why}")

    def add(self, result) -> None:
        if self.format in COMBINED:  # one document for every PATH, rendered at close
            self.results.append(result)
            return
        if self.format != "text":
            self.parts.append(terminal_safe(REPORTERS[self.format](result)))
            return
        from prep.reporters import text

        style = self._style
        if self.quiet and self.several:  # findings of every PATH, then one summary line for all (at close)
            self.text_results.append(result)
            self.parts.append(text.render(result, quiet=True, summary=False, style=style))
            return
        self.parts.append(text.render(result, statistics=self.statistics, quiet=self.quiet, style=style))

    def _style(self, part: str, severity: str | None) -> str:
        from prep.reporters import text

        safe = terminal_safe(part)
        return click.style(safe, fg=text.COLOURS[severity], bold=True) if self.colour and severity else safe

    def close(self) -> None:
        if self.results:
            self.parts.append(terminal_safe(REPORTERS[self.format](*self.results)))
        if self.text_results:
            from prep.reporters import text

            self.parts.append(self._style(text.summary_line(*self.text_results), None) + "\n")
        report = "".join(self.parts)
        if self.path is None:
            click.echo(report, nl=False, color=self.colour)
            return
        try:
            with open(self.path, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as exc:
            raise _usage(f"cannot write {self.path}: {exc.strerror or exc}") from None


def _expand(paths: Sequence[str]) -> list[str]:
    """PATHs with each directory replaced by the data files under it (sorted; hidden files and directories
    skipped), as a pre-commit hook or a shell glob would list them."""
    from pathlib import Path

    from prep.readers import SUFFIXES

    out: list[str] = []
    for path in paths:
        if path == "-" or not Path(path).is_dir():
            out.append(path)
            continue
        found = sorted(
            str(p) for p in Path(path).rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and "".join(p.suffixes[-2:]).lower().removesuffix(".gz").rsplit(".", 1)[-1] in {x.lstrip(".") for x in SUFFIXES}
        )
        if not found:
            raise _usage(f"{path}: a directory with no data files ({', '.join(SUFFIXES)}, optionally .gz)")
        out += found
    return out


def _lint_one(path: str, validation: str | None, settings: config.Settings, bar, stdin_name: str | None):
    """``api.lint`` of one file, or of standard input for ``-`` (written to a temporary file first: the readers
    need to seek and to know the format from a suffix)."""
    if path != "-":
        return api.lint(path, validation=validation, settings=settings, progress=bar)
    import shutil
    import tempfile
    from pathlib import Path

    name = stdin_name or "-"
    suffix = "".join(Path(stdin_name).suffixes) if stdin_name else ".jsonl"
    with tempfile.TemporaryDirectory(prefix="prep-stdin-") as tmp:
        target = Path(tmp) / f"stdin{suffix}"
        with open(target, "wb") as handle:
            shutil.copyfileobj(sys.stdin.buffer, handle)
        source = api.load(target, settings, name=name)
    return api.lint(source, validation=validation, settings=settings, progress=bar)


def _filtered(result, min_severity: str):
    """The result without findings below ``min_severity``, saying how many were left out (in a note)."""
    floor = _SEVERITIES.index(min_severity)
    kept = [f for f in result.findings if _SEVERITIES.index(f.severity.value) >= floor]
    hidden = len(result.findings) - len(kept)
    if hidden:
        result.findings = kept
        result.notes["min-severity"] = {
            "text": f"{hidden:,} finding{'s' * (hidden != 1)} below {min_severity} not reported", "hidden": hidden,
            "floor": min_severity,
        }
    return result


def _apply_baseline(result, baseline: str) -> None:
    from prep.suppress import apply_baseline

    outcome = apply_baseline(baseline, result.findings, result.sources)
    result.findings = outcome.findings
    stale = len(outcome.stale)
    result.notes["baseline"] = {
        "text": f"{outcome.suppressed:,} finding{'s' * (outcome.suppressed != 1)} in {baseline} not reported; "
        f"{stale:,} baseline entr{'ies' if stale != 1 else 'y'} no longer match{'es' * (stale == 1)}",
        "suppressed": outcome.suppressed,
        "stale": stale,
    }
    if outcome.stale:
        listed = "; ".join(
            f"{e['code']} {e['source']}" + (f" record {e['row'] + 1}" if e.get("row") is not None else "")
            for e in outcome.stale[:5]
        )
        more = f" and {stale - 5:,} more" if stale > 5 else ""
        _echo(f"prep: warning: {stale:,} baseline entr{'ies' if stale != 1 else 'y'} no longer match"
              f"{'es' * (stale == 1)} (fixed, or the row changed): {listed}{more}", err=True)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True, path_type=str), metavar="PATH...")
@click.option("--validation", "validation", metavar="PATH", help="A validation file to lint alongside.")
@_model_option("Base model to check (repeatable, or 'all'). Default: 'model' from config.")
@click.option("--format", "output_format", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output-file", "output_file", metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("-q", "--quiet", is_flag=True, help="Text output: only the findings and one summary line.")
@click.option("--statistics", is_flag=True, help="Text output: add the table of findings per rule.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are error findings (2 still means prep could not run).")
@click.option("--extend-select", multiple=True, metavar="RULES", help="Rules to run in addition to those selected (config or --select).")
@click.option("--min-severity", type=click.Choice(_SEVERITIES), default="info", show_default=True, help="Report only findings at or above this severity.")
@click.option("--stdin-filename", metavar="NAME", help="With PATH '-': the name to report standard input under; its suffix gives the format (default stdin.jsonl).")
@click.option("--baseline", "baseline", metavar="FILE", help="Report only findings not recorded in this baseline.")
@click.option("--write-baseline", "write_baseline", metavar="FILE", help="Record the current findings as a baseline and exit 0.")
@click.option("--html", "html_file", metavar="FILE", help="Also write a self-contained HTML report with charts.")
@_PROGRESS
@_with_settings(*_RUN_SETTINGS)
def lint(paths: tuple[str, ...], validation: str | None, output_format: str, baseline: str | None,
         write_baseline: str | None, html_file: str | None, settings: config.Settings, progress: bool | None,
         **flags) -> None:
    """Check PATH (JSONL, JSON, CSV or Parquet; a directory: every such file in it; '-': standard input) for
    problems before Cortex fine-tuning.

    Several PATHs (as a pre-commit hook passes them) are linted one by one, each as its own dataset, with text,
    github, junit or sarif output (junit and sarif as one document); the exit code is the worst of them. Exit codes: 0 no error findings, 1 error findings,
    2 prep could not run.
    """
    output = _Output(flags.pop("output_file"), output_format, flags.pop("quiet"), flags.pop("statistics"))
    exit_zero, min_severity = flags.pop("exit_zero"), flags.pop("min_severity")
    extend, stdin_name = _split(flags.pop("extend_select")), flags.pop("stdin_filename")
    if write_baseline and (baseline or html_file):
        raise _usage(f"--write-baseline records findings and exits: it cannot be combined with "
                               f"{'--baseline' if baseline else '--html'}")
    if extend:
        _check_rules("--extend-select", extend)
        settings = settings.with_overrides(select=tuple(settings.select) + extend)
    files = _expand(paths)
    if files != list(paths) or len(files) > 1:  # several files: each its own dataset
        if validation or baseline or write_baseline or html_file or output_format == "json":
            raise _usage(
                "several PATHs (or a directory) are linted one by one: use one file with --validation, --baseline, "
                "--write-baseline, --html or --format json"
            )
        worst = 0
        output.several = True
        for one in files:
            result = _filtered(_lint_one(one, None, settings, None, stdin_name), min_severity)
            output.add(result)
            worst = max(worst, result.exit_code)
        output.close()
        sys.exit(0 if exit_zero else worst)
    bar = Progress(enabled=progress)
    try:
        result = _filtered(_lint_one(files[0], validation, settings, bar, stdin_name), min_severity)
    finally:
        bar.close()
    if write_baseline:
        from prep.suppress import write_baseline as write

        n = write(write_baseline, result.findings, result.sources)
        _echo(f"wrote {write_baseline}: {n:,} finding{'s' * (n != 1)} recorded")
        sys.exit(0)
    if baseline:
        _apply_baseline(result, baseline)
    if html_file:
        from pathlib import Path

        from prep.reporters import html

        try:
            Path(html_file).write_text(html.render(html.collect(result)), encoding="utf-8")
        except OSError as exc:
            raise _usage(f"cannot write {html_file}: {exc.strerror or exc}") from None
    output.add(result)
    output.close()
    sys.exit(0 if exit_zero else result.exit_code)


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
        rows = counted(counts["redacted_rows"], "row")
        if pii == "redact":
            _echo(f"redacted PII in {rows}")
        else:  # dropped or kept: only the text written to excluded.jsonl is redacted
            _echo(f"PII redacted in excluded.jsonl: {rows}")
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
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
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
@click.argument("path", type=click.Path(dir_okay=False, path_type=str), metavar="FILE")
@click.option("--prediction-col", "prediction_cols", multiple=True, required=True, metavar="COLUMN", help="Column holding a model's answers (repeatable: one per model).")
@click.option("--reference-col", metavar="COLUMN", help="Column holding the expected answers (default: completion-col, 'completion').")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "html"]), default="text", show_default=True, help="Output format.")
@click.option("-o", "--output-file", "output_file", metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("--config", "config_file", metavar="FILE", help="Config file (default: nearest prep.toml or pyproject.toml): column names, label detection.")
def evaluate(path: str, prediction_cols: tuple[str, ...], reference_col: str | None, output_format: str,
             output_file: str | None, config_file: str | None) -> None:
    """Score the answers in FILE's prediction columns against its reference column: exact match, ROUGE-L, BLEU and
    chrF, and on label-like data accuracy, macro-F1, invalid answers and per-label figures. Exit codes: 0 it ran,
    2 it could not."""
    import json

    from prep.evaluate import evaluate_file
    from prep.reporters import evaluation as reporting

    output = _Output(output_file, output_format, False, False)
    run = evaluate_file(path, prediction_cols, reference_col=reference_col, settings=_settings(config_file))
    for warning in run.warnings:
        _echo(f"prep: warning: {warning}", err=True)
    if output_format == "json":
        report = json.dumps(run.result, indent=2, ensure_ascii=False) + "\n"
    else:
        report = (reporting.render_html if output_format == "html" else reporting.render_text)(run)
    output.parts.append(terminal_safe(report))
    output.close()


@cli.command()
@click.argument("code", required=False)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
def rules(code: str | None, output_format: str) -> None:
    """List the rules (code, name, default severity, summary), or print the documentation of one (code or name)."""
    import inspect
    import json

    from prep.engine.pack import all_rules, lookup

    known = all_rules() if code is None else [lookup(code, "prep rules")]

    def entry(rule) -> dict:
        doc = inspect.getdoc(rule) or ""
        return {"code": rule.code, "name": rule.name, "severity": rule.severity.value,
                "summary": doc.splitlines()[0] if doc else "", "module": f"rules/{rule.__module__.split('.')[-1]}.py",
                "doc": doc}

    if output_format == "json":
        entries = [entry(rule) for rule in known]
        _echo(json.dumps(entries if code is None else entries[0], indent=2, ensure_ascii=False))
        return
    if code is None:
        rows = [[r.code, r.name, r.severity.value, (inspect.getdoc(r) or "").splitlines()[0]] for r in known]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            _echo("  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths)) + "  " + row[3])
        return
    (rule,) = known
    _echo(f"{rule.code} {rule.name} (default severity: {rule.severity.value}; rules/{rule.__module__.split('.')[-1]}.py)\n")
    _echo(inspect.getdoc(rule))


@cli.command()
@click.option("--config", "config_file", metavar="FILE", help="Config file whose catalog overrides apply.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
def models(config_file: str | None, output_format: str) -> None:
    """List the base models in the catalog with their budgets and caps."""
    import json

    settings = _settings(config_file)
    catalog = load_catalog(settings.catalog, f"{settings.origin}: catalog")
    if output_format == "json":
        _echo(json.dumps([
            {"name": m.name, "context_tokens": m.context_tokens, "prompt_budget": m.prompt_budget,
             "completion_budget": m.completion_budget, "data_cap_bytes": m.data_cap_bytes,
             "rows_at_1_epoch": m.rows_at_1_epoch, "tokenizer": m.tokenizer}
            for m in catalog.values()
        ], indent=2))
        return
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
    from prep.measures.pii.pool import keeping_warm

    try:
        with keeping_warm():  # presidio loaded once for all the files of this command, stopped at its end
            return _main(argv)
    except _Interrupted:  # the run's cleanup (stopping worker processes) has run on the way out
        _echo("prep: error: interrupted", err=True)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _help_hint(exc: click.UsageError) -> str:
    """Click's "Try 'prep lint -h' for help", kept on the error's one line."""
    return f"; try '{exc.ctx.command_path} -h' for help" if exc.ctx is not None else ""


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
        _echo(f"prep: error: No such option '{exc.option_name}'{hint}{_help_hint(exc)}", err=True)
        return 2
    except click.UsageError as exc:
        _echo(f"prep: error: {exc.format_message()}{_help_hint(exc)}", err=True)
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
