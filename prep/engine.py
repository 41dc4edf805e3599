"""The engine: builds the rules a run asks for, gives them one shared context, and collects their findings.

Work that several rules need (token counts per tokenizer family, UTF-8 sizes) is computed once per source in
:class:`Context` and cached, so checking six models costs two tokenizer passes, not six.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from prep import registry
from prep.catalog import ModelSpec, load_catalog, resolve_models
from prep.config import Settings
from prep.dataset import TEXT_FIELDS, Source
from prep.errors import ConfigError
from prep.finding import Finding, Severity
from prep.minhash import Fingerprints, NearDupConfig, fingerprint_rows
from prep.rule import Rule
from prep.text import normalized
from prep.limits import SCAN_CHARS, long_rows
from prep.tokenizers import LONG_TEXT_BYTES, BoundedCounts, count_tokens_bounded, max_tokens

Progress = Callable[[str], None]
_SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # the two hashes of a normalised-text fingerprint


class Context:
    """What every rule sees: the sources, the models, the settings, and shared derived columns."""

    def __init__(
        self,
        sources: Sequence[Source],
        models: Sequence[ModelSpec],
        settings: Settings,
        progress: Progress | None = None,
    ) -> None:
        self.sources = list(sources)
        self.models = list(models)
        self.settings = settings
        self.progress = progress or (lambda message: None)
        self.notes: dict[str, dict[str, Any]] = {}  # what rules report about the run itself, by rule code
        self._tokens: dict[tuple[str, str, str], pl.DataFrame] = {}
        self._pairs: dict[str, tuple[int, int]] = {}
        self._normalized: dict[str, pl.DataFrame] = {}
        self._labels: dict[str, Any] = {}
        self._fingerprints: dict[tuple, Fingerprints] = {}
        self.background: dict[str, Any] = {}  # work rules started in Rule.start, by rule code
        self._closers: list[Callable[[], None]] = []

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the run ends, however it ends (stop background workers)."""
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    @property
    def train(self) -> list[Source]:
        return [s for s in self.sources if s.role == "train"]

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(m.tokenizer for m in self.models))

    def tokens(self, source: Source, field_name: str, family: str) -> pl.DataFrame:
        """Token counts for the string values of one field: columns ``row``, ``tokens``, ``estimated`` and
        ``counted_bytes`` (exact but for texts over :data:`prep.tokenizers.LONG_TEXT_BYTES`, counted in chunks)."""
        key = (f"{source.role}\0{source.name}", field_name, family)
        if key not in self._tokens:
            self.progress(f"tokenizing {source.name} {field_name} ({family})")
            rows = source.text_rows(field_name)
            self._tokens[key] = _with_counts(rows, count_tokens_bounded(family, rows["text"].to_list()))
        return self._tokens[key]

    def tokens_near_budget(self, source: Source, field_name: str, family: str) -> pl.DataFrame:
        """Token counts (``row``, ``tokens``, ``estimated``, ``counted_bytes``) of the rows that could exceed the smallest budget of this run's
        ``family`` models for ``field_name``: a row whose token bound (:data:`prep.tokenizers.TOKEN_BOUNDS`) plus
        the margin is within that budget can exceed none of them and is not tokenized. All rows when the exact
        counts are already known. A text over :data:`prep.tokenizers.LONG_TEXT_BYTES` is counted only until it is
        over the highest budget, and its total estimated from the share counted."""
        full = (f"{source.role}\0{source.name}", field_name, family)
        if full in self._tokens:
            return self._tokens[full]
        key = (*full, "near-budget")
        if key not in self._tokens:
            budgets = [m.budget(field_name) for m in self.models if m.tokenizer == family]
            lowest = min(budgets) if budgets else 0
            rows = source.text_rows(field_name)
            bound = max_tokens(family, rows["text"].str.len_bytes().to_numpy())
            near = rows.filter(pl.Series(bound + self.settings.margin > lowest))
            if near.height:
                self.progress(f"tokenizing {near.height:,} of {rows.height:,} {source.name} {field_name} ({family})")
            highest = max(budgets) if budgets else 0
            counts = count_tokens_bounded(family, near["text"].to_list(), enough=highest + self.settings.margin)
            self._tokens[key] = _with_counts(near, counts)
        return self._tokens[key]

    def normalized_pairs(self, source: Source) -> pl.DataFrame:
        """Rows where both fields are text, with ``p`` and ``c``: prompt and completion as the duplicate rules
        compare them (:func:`prep.text.normalized`), computed once per source, each as a 128-bit fingerprint (a
        struct of two 64-bit polars hashes under fixed seeds) rather than the text: the rules only group and join
        on them, and the text would double the memory of a run. Two different texts share a fingerprint with
        probability about 2^-128 per pair."""
        key = f"{source.role}\0{source.name}"
        if key not in self._normalized:
            self.progress(f"normalizing {source.name}")

            def fingerprint(column: str) -> pl.Expr:
                text = normalized(pl.col(column))
                return pl.struct(text.hash(seed=_SEEDS[0]).alias("h1"), text.hash(seed=_SEEDS[1]).alias("h2"))

            self._normalized[key] = (
                source.pair_rows()
                .lazy()
                .select("row", fingerprint("prompt").alias("p"), fingerprint("completion").alias("c"))
                .collect(engine="streaming")
            )
        return self._normalized[key]

    def fingerprints(self, source: Source, config: NearDupConfig, reference: Source | None = None) -> Fingerprints:
        """MinHash fingerprints of ``source``'s text rows under ``config``, computed once per run. With
        ``reference`` (training data, for leakage), the boilerplate shingles are the reference's."""
        key = (f"{source.role}\0{source.name}", config, None if reference is None else reference.name)
        if key not in self._fingerprints:
            boilerplate = None if reference is None else self.fingerprints(reference, config).boilerplate
            self.progress(f"MinHash signatures of {source.name}")
            self._fingerprints[key] = fingerprint_rows(source.pair_rows(), config, boilerplate)
        return self._fingerprints[key]

    def _pair_stats(self, source: Source) -> tuple[int, int]:
        key = f"{source.role}\0{source.name}"
        if key not in self._pairs:
            pairs = source.pair_rows()
            size = pairs.select(
                pl.col("prompt").str.len_bytes().sum() + pl.col("completion").str.len_bytes().sum()
            ).item()
            self._pairs[key] = (pairs.height, int(size or 0))
        return self._pairs[key]

    def labels(self, source: Source):
        """Label statistics of ``source`` (:mod:`prep.labels`); a validation source is label-like when the first
        training source is."""
        from prep import labels

        if source.name not in self._labels:
            settings = self.settings.label_settings()
            if source.role == "train":
                found = labels.stats(source.pair_rows(), settings)
                self._labels[source.name] = found
                kind = "label-like" if found.label_like else "not label-like"
                self.notes.setdefault("labels", {"text": f"{source.name} is {kind}: {found.reason}"})
            else:
                found = labels.stats(source.pair_rows(), settings, decide=False)
                train = self.train
                found.label_like = bool(train) and self.labels(train[0]).label_like
                self._labels[source.name] = found
        return self._labels[source.name]

    def text_bytes(self, source: Source) -> int:
        """UTF-8 bytes of prompt + completion over rows where both are text (what Cortex would train on)."""
        return self._pair_stats(source)[1]

    def trainable_rows(self, source: Source) -> int:
        """Rows where both prompt and completion are text."""
        return self._pair_stats(source)[0]


def _with_counts(rows: pl.DataFrame, counts: BoundedCounts) -> pl.DataFrame:
    return rows.select("row").with_columns(
        pl.Series("tokens", counts.tokens, dtype=pl.Int64),
        pl.Series("estimated", counts.estimated, dtype=pl.Boolean),
        pl.Series("counted_bytes", counts.counted_bytes, dtype=pl.Int64),
    )


@dataclass
class ModelFit:
    """How one dataset fits one base model (the fit table of ``prep lint``)."""

    model: ModelSpec
    rows_over_prompt: int
    rows_over_completion: int
    tokens_cut: int
    data_bytes: int
    rows: int
    row_limit: int

    @property
    def fits(self) -> bool:
        return (
            self.rows_over_prompt == 0
            and self.rows_over_completion == 0
            and self.data_bytes <= self.model.data_cap_bytes
            and self.rows <= self.row_limit
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.model.name,
            "tokenizer": self.model.tokenizer,
            "prompt_budget": self.model.prompt_budget,
            "completion_budget": self.model.completion_budget,
            "data_cap_bytes": self.model.data_cap_bytes,
            "row_limit": self.row_limit,
            "rows_over_prompt_budget": self.rows_over_prompt,
            "rows_over_completion_budget": self.rows_over_completion,
            "tokens_cut": self.tokens_cut,
            "data_bytes": self.data_bytes,
            "rows": self.rows,
            "fits": self.fits,
        }


def over_budget(ctx: Context, source: Source, field_name: str, model: ModelSpec) -> pl.DataFrame:
    """Rows of ``source`` whose ``field_name`` tokens + margin exceed the model's budget, with ``tokens``/``cut``."""
    budget = model.budget(field_name)
    counts = ctx.tokens_near_budget(source, field_name, model.tokenizer)
    return counts.filter(pl.col("tokens") + ctx.settings.margin > budget).with_columns(
        (pl.col("tokens") + ctx.settings.margin - budget).alias("cut")
    )


def model_fits(ctx: Context) -> list[ModelFit]:
    """The fit of the training data (all training sources together) to each selected model."""
    fits = []
    for model in ctx.models:
        over = {f: [over_budget(ctx, s, f, model) for s in ctx.train] for f in TEXT_FIELDS}
        fits.append(
            ModelFit(
                model=model,
                rows_over_prompt=sum(o.height for o in over["prompt"]),
                rows_over_completion=sum(o.height for o in over["completion"]),
                tokens_cut=int(sum(o["cut"].sum() for f in TEXT_FIELDS for o in over[f])),
                data_bytes=sum(ctx.text_bytes(s) for s in ctx.train),
                rows=sum(ctx.trainable_rows(s) for s in ctx.train),
                row_limit=model.row_limit(ctx.settings.epochs),
            )
        )
    return fits


@dataclass
class LintResult:
    sources: list[Source]
    models: list[ModelSpec]
    settings: Settings
    findings: list[Finding]
    fits: list[ModelFit] = field(default_factory=list)
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
        out[registry.lookup(key, where).code] = value
    return out


def build_rules(settings: Settings) -> list[Rule]:
    where = settings.origin
    classes = registry.select(settings.select, settings.ignore, where)
    severities = {k: Severity.parse(v) for k, v in _keyed_by_code(settings.severity, f"{where}: severity").items()}
    options = _keyed_by_code(settings.rules, f"{where}: rules")
    built = []
    for code, raw in options.items():
        registry.lookup(code).build_options(raw, f"{where}: rules.{code}")  # validate even if not selected
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
    rules = build_rules(settings)
    if not settings.models:
        raise ConfigError("no base model given: pass --model NAME (or --model all), or set 'model' in config")
    return Plan(settings, resolve_models(settings.models, catalog), rules)


def run(sources: Sequence[Source], settings: Settings | Plan, progress: Progress | None = None) -> LintResult:
    """Lint ``sources``. Raises :class:`~prep.errors.PrepError` for configuration errors."""
    the_plan = settings if isinstance(settings, Plan) else plan(settings)
    settings, models, rules = the_plan.settings, the_plan.models, the_plan.rules
    ctx = Context(sources, models, settings, progress)
    findings: list[Finding] = []
    try:
        for rule in rules:
            rule.start(ctx)
        for rule in rules:
            ctx.progress(f"{rule.code} {rule.name}")
            findings.extend(rule.check(ctx))
    finally:
        ctx.close()
    replaced = sum(
        s.frame.select(
            (pl.col("prompt").str.contains("\ufffd", literal=True) | pl.col("completion").str.contains("\ufffd", literal=True))
            .fill_null(False).sum()
        ).item()
        for s in sources
    )
    if replaced:
        ctx.notes["encoding"] = {
            "text": f"{replaced:,} row{'s hold' if replaced != 1 else ' holds'} U+FFFD replacement characters: bytes that "
            "were not valid UTF-8 (in this file, read as U+FFFD, or upstream); TX001 lists them",
            "rows": replaced,
        }
    long_texts = sum(len(long_rows(s.frame)) for s in sources)
    if long_texts:
        ctx.notes["long_texts"] = {
            "text": f"{long_texts:,} rows hold a text over {SCAN_CHARS:,} characters: PII, mojibake and near-duplicate "
            f"checks looked at its first {SCAN_CHARS:,}; token counts over {LONG_TEXT_BYTES:,} bytes are estimated",
            "rows": long_texts,
            "scan_chars": SCAN_CHARS,
        }
    from prep.suppress import apply_per_source_ignores

    findings = apply_per_source_ignores(findings, settings.per_source_ignores)
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
