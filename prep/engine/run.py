"""A run: the plan (settings, models and configured rules, validated before any data is read), the rules run over
one shared context, and the result (findings sorted, fit table, notes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from prep.catalog import ModelSpec, load_catalog, resolve_models
from prep.config import Settings
from prep.dataset import Source
from prep.engine import pack
from prep.engine.context import Context, Progress
from prep.engine.fit import Fit, model_fits
from prep.engine.rule import Rule
from prep.errors import ConfigError
from prep.finding import Finding, Severity
from prep.limits import SCAN_CHARS, long_rows
from prep.suppress import apply_per_source_ignores, check_per_source_ignores
from prep.tokenizers import LONG_TEXT_BYTES

Given = Callable[[Context], None]


@dataclass
class LintResult:
    """What one run found, returned by :func:`prep.lint`.

    - ``findings``: every :class:`~prep.finding.Finding`, sorted by source, row and code, after ``select``,
      ``ignore``, severities and per-source ignores; ``exit_code`` is 1 when any is an error, as in ``prep lint``.
    - ``sources``: the data read (each a :class:`~prep.dataset.Source` with its polars frame), ``models`` the
      base models checked, ``settings`` the :class:`~prep.config.Settings` the run used, ``rules`` the rules run.
    - ``fits``: one :class:`~prep.engine.fit.Fit` per model and source (the fit table of the text output).
    - ``notes``: per-rule facts that are not findings (label detection, duplicate clusters, token statistics).
    - :meth:`summary`: the counts the JSON output's ``summary`` holds; :func:`prep.render` renders any format.
    """

    sources: list[Source]
    models: list[ModelSpec]
    settings: Settings
    findings: list[Finding]
    fits: list[Fit] = field(default_factory=list)
    rules: list[type[Rule]] = field(default_factory=list)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    context: Any = field(default=None, repr=False, compare=False)  # the run's Context, for prepare and estimate

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def exit_code(self) -> int:
        return 1 if self.count(Severity.ERROR) else 0

    def summary(self) -> dict[str, Any]:
        by_code: dict[str, int] = {}
        for f in self.findings:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        return {
            "errors": self.count(Severity.ERROR),
            "warnings": self.count(Severity.WARNING),
            "info": self.count(Severity.INFO),
            "findings": len(self.findings),
            "by_code": dict(sorted(by_code.items())),
            "rows": {s.name: s.n_records for s in self.sources},
            "epochs": self.settings.epochs,
            "margin": self.settings.margin,
            "rules": [r.code for r in self.rules],
            "notes": self.notes,
        }


def _keyed_by_code(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Config tables keyed by rule code or name, re-keyed by code."""
    out = {}
    for key, value in table.items():
        out[pack.lookup(key, where).code] = value
    return out


def build_rules(settings: Settings) -> list[Rule]:
    where = settings.origin
    classes = pack.select(settings.select, settings.ignore, where)
    severities = {k: Severity.parse(v) for k, v in _keyed_by_code(settings.severity, f"{where}: severity").items()}
    options = _keyed_by_code(settings.rules, f"{where}: rules")
    built = []
    for code, raw in options.items():
        pack.lookup(code).build_options(raw, f"{where}: rules.{code}")  # validate even if not selected
    for cls in classes:
        opts = cls.build_options(options.get(cls.code, {}), f"{where}: rules.{cls.code}")
        built.append(cls(opts, severities.get(cls.code)))
    return built


@dataclass(frozen=True)
class Plan:
    """A validated run: the models and the configured rules. Built before any data is read."""

    settings: Settings
    models: list[ModelSpec]
    rules: list[Rule]


def plan(settings: Settings) -> Plan:
    """Validate ``settings`` (catalog, rules, options, models) so errors surface before any work starts."""
    catalog = load_catalog(settings.catalog, f"{settings.origin}: catalog")
    check_per_source_ignores(settings.per_source_ignores, settings.origin)
    rules = build_rules(settings)
    if not settings.models:
        raise ConfigError("no base model given: pass --model NAME (or --model all), or set 'model' in config")
    return Plan(settings, resolve_models(settings.models, catalog), rules)


def warm(the_plan: Plan, input_bytes: int) -> None:
    """Let each rule begin slow setup in the background (:meth:`Rule.warm`) before the data is read."""
    for rule in the_plan.rules:
        rule.warm(input_bytes)


def settle(the_plan: Plan) -> None:
    """The end of a run begun with :func:`warm`: each rule stops the setup it began that is not finished."""
    for rule in the_plan.rules:
        rule.settle()


def _input_notes(sources: Sequence[Source]) -> dict[str, dict[str, Any]]:
    """What the run's notes say about the input itself: text decoded with replacement characters, texts too long
    to check whole."""
    notes = {}
    replaced = sum(
        s.frame.select(
            pl.any_horizontal(pl.col(f).str.contains("\ufffd", literal=True) for f in ("prompt", "completion"))
            .fill_null(False).sum()
        ).item()
        for s in sources
    )
    if replaced:
        notes["encoding"] = {
            "text": f"{replaced:,} row{'s hold' if replaced != 1 else ' holds'} U+FFFD replacement characters: bytes that "
            "were not valid UTF-8 (in this file, read as U+FFFD, or upstream); each is reported with its row",
            "rows": replaced,
        }
    long_texts = sum(len(long_rows(s.frame)) for s in sources)
    if long_texts:
        notes["long_texts"] = {
            "text": f"{long_texts:,} row{'s hold' if long_texts != 1 else ' holds'} a text over {SCAN_CHARS:,} characters: "
            f"PII, mojibake and near-duplicate checks looked at its first {SCAN_CHARS:,}; token counts over "
            f"{LONG_TEXT_BYTES:,} bytes are estimated",
            "rows": long_texts,
            "scan_chars": SCAN_CHARS,
        }
    return notes


def run(sources: Sequence[Source], settings: Settings | Plan, progress: Progress | None = None,
        given: Given | None = None) -> LintResult:
    """Lint ``sources``. Raises :class:`~prep.errors.PrepError` for configuration errors. ``given`` hands the run's
    context measures computed elsewhere (a stored procedure's, by the warehouse) before any rule starts; each
    measure module has its ``provide_...`` function for that."""
    the_plan = settings if isinstance(settings, Plan) else plan(settings)
    settings, models, rules = the_plan.settings, the_plan.models, the_plan.rules
    ctx = Context(sources, models, settings, progress)
    findings: list[Finding] = []
    try:
        if given is not None:
            given(ctx)
        for rule in rules:
            rule.start(ctx)
        # rules with background work (a start()) are checked last, so it runs while the others do theirs
        for rule in sorted(rules, key=lambda r: type(r).start is not Rule.start):
            ctx.progress(f"{rule.code} {rule.name}")
            findings.extend(rule.check(ctx))
    finally:
        ctx.close()
    ctx.notes.update(_input_notes(sources))
    findings = apply_per_source_ignores(findings, settings.per_source_ignores, settings.root)
    source_order = {s.name: i for i, s in enumerate(sources)}
    model_order = {m.name: i for i, m in enumerate(models)}
    findings.sort(
        key=lambda f: (
            source_order.get(f.source, len(source_order)),
            f.source,
            -1 if f.row is None else f.row,
            {None: 0, "prompt": 1, "completion": 2}.get(f.field, 3),
            f.code,
            model_order.get(f.data.get("model"), -1),
            f.message,
        )
    )
    return LintResult(
        sources=list(sources),
        models=models,
        settings=settings,
        findings=findings,
        fits=model_fits(ctx),
        rules=[type(r) for r in rules],
        notes=ctx.notes,
        context=ctx,
    )
