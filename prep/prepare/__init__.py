"""``prep prepare``: clean training and validation files that lose nothing.

The input is linted with the configured rules; then every input row ends in exactly one of three files:

- ``excluded.jsonl``: rows removed, each with its source, original row index and line, the codes and messages of
  the findings that removed it, and its text (with PII spans redacted: PII is never written out again);
- ``train.jsonl`` and ``validation.jsonl``: ``{"prompt": ..., "completion": ...}`` per line, in input order.

What is removed follows the options: rows with error findings (``errors``: exclude, keep, or fail without
writing anything), PII (``pii``: drop the row, redact the spans with typed placeholders, or keep), duplicates
(``duplicates``: keep one row per exact group and near-duplicate cluster, the one the duplicate rules name, or keep
all). Each finding is handled by what its rule declares (:mod:`prep.prepare.decide`); the split and the leak
re-check are :mod:`prep.prepare.split`, the writing :mod:`prep.prepare.output`; the rows are one polars frame.
Rows that are not a pair of strings (unreadable records, missing or non-text values) are always excluded.

The validation split, when no validation file is given, is a function of row content and seed only:

- rows are grouped so that exact copies and near-duplicate clusters stay on one side;
- each group's key is the smallest SHA-256 of ``seed, prompt, completion`` among its rows;
- per stratum (the label, for label-like data; one stratum otherwise) groups go to validation in key order until
  the stratum's share reaches ``validation_fraction``, never taking its last training group;
- any validation row that a leak rule still finds leaking from training moves to training.

``manifest.json`` records the input hashes, the options and settings, the counts (with exclusions by
reason), the label distribution per split, the lint summary and the tool version, and no time stamp: the same
input and options give byte-identical files. The files are written into a temporary directory beside the output
directory, then moved into place with one rename, so they appear complete or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from prep import __version__
from prep.api import load
from prep.config import Settings
from prep.dataset import TEXT_FIELDS, Source
from prep.engine import run as engine
from prep.engine.rule import PrepareAction
from prep.errors import ConfigError, InputError
from prep.limits import SCAN_CHARS
from prep.measures.labels import label_stats
from prep.prepare.decide import (
    Decisions,
    PrepareFailed,
    apply_redactions,
    decide,
    rows_frame,
    with_reasons,
)
from prep.prepare.output import (
    OUTPUTS,
    check_out_dir,
    input_hashes,
    jsonl,
    write_atomically,
)
from prep.prepare.split import MAX_ROUNDS, LeakCheck, leak_rules, split
from prep.quoting import quoted_keys

__all__ = ["DUPLICATE_POLICIES", "ERROR_POLICIES", "OUTPUTS", "PII_POLICIES", "PrepareFailed", "PrepareOptions", "PrepareResult", "Prepared", "prepare", "prepare_data"]

PII_POLICIES = ("drop", "redact", "keep")
DUPLICATE_POLICIES = ("keep-one", "keep-all")
ERROR_POLICIES = ("exclude", "keep", "fail")


@dataclass(frozen=True)
class PrepareOptions:
    validation_fraction: float = 0.1
    seed: int = 0
    pii: str = "drop"
    duplicates: str = "keep-one"
    errors: str = "exclude"

    def __post_init__(self) -> None:
        if not 0 <= self.validation_fraction <= 0.5:
            raise ConfigError(f"validation fraction must be from 0 to 0.5, got {self.validation_fraction}")
        for name, value, choices in (
            ("pii", self.pii, PII_POLICIES),
            ("duplicates", self.duplicates, DUPLICATE_POLICIES),
            ("errors", self.errors, ERROR_POLICIES),
        ):
            if value not in choices:
                raise ConfigError(f"--{name} must be one of {', '.join(choices)}, got {value!r}")

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> PrepareOptions:
        """From loosely typed options (a procedure's VARIANT): each value converted to its field's type, the
        defaults where a key is absent."""
        values = {}
        for name, convert in (("validation_fraction", float), ("seed", int), ("pii", str), ("duplicates", str),
                              ("errors", str)):
            if options.get(name) is not None:
                try:
                    values[name] = convert(options[name])
                except (TypeError, ValueError):
                    raise ConfigError(f"{name} must be {'a number' if convert is float else 'an integer' if convert is int else 'a string'}, got {options[name]!r}") from None
        return cls(**values)


@dataclass
class PrepareResult:
    out_dir: Path
    manifest: dict[str, Any]
    lint: engine.LintResult = field(repr=False)

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]



@dataclass
class Prepared:
    """The outcome of preparing, before anything is written: one frame of every input row, in input order
    (``source``, ``row``, ``line``, ``prompt``, ``completion`` as written, ``split`` train / validation /
    excluded, ``reasons`` and ``messages`` of exclusion, ``redacted``), and the manifest (without the outputs'
    hashes)."""

    frame: pl.DataFrame
    manifest: dict[str, Any]
    lint: engine.LintResult = field(repr=False)

    def _split(self, name: str) -> pl.DataFrame:
        return self.frame.filter(pl.col("split") == name)

    @property
    def train(self) -> pl.DataFrame:
        return self._split("train")

    @property
    def validation(self) -> pl.DataFrame:
        return self._split("validation")

    @property
    def excluded(self) -> pl.DataFrame:
        return self._split("excluded")

    def excluded_lines(self) -> bytes:
        """excluded.jsonl: :meth:`excluded_records` as ``json.dumps(record, ensure_ascii=False)`` lines, byte for
        byte, built by polars over whole columns; only rows with a text to cut go through :meth:`excluded_records`."""
        excluded = self.excluded
        roles = [s["role"] for s in self.manifest["lint_sources"]]
        cut = pl.any_horizontal(pl.col(name).str.len_chars() > SCAN_CHARS for name in TEXT_FIELDS).fill_null(False)

        def strings(name: str) -> pl.Expr:
            return pl.concat_str([pl.lit("["), pl.col(name).list.eval(_json_literal(pl.element())).list.join(", "),
                                  pl.lit("]")])

        line = pl.concat_str([
            pl.lit('{"source": '), pl.col("source").replace_strict(list(range(len(roles))), [json.dumps(r) for r in roles],
                                                                 return_dtype=pl.String),
            pl.lit(', "row": '), pl.col("row").cast(pl.String),
            pl.lit(', "line": '), pl.col("line").cast(pl.String).fill_null("null"),
            pl.lit(', "reasons": '), strings("reasons"), pl.lit(', "messages": '), strings("messages"),
            pl.lit(', "prompt": '), _json_literal(pl.col("prompt")),
            pl.lit(', "completion": '), _json_literal(pl.col("completion")),
            pl.when(pl.col("redacted")).then(pl.lit(', "redacted": true')).otherwise(pl.lit("")), pl.lit("}\n"),
        ])
        lines = excluded.select(line.alias("line"), cut.alias("cut"))
        at = lines["cut"].arg_true()
        if len(at):  # the rare rows to cut, record by record
            records = Prepared(frame=excluded[at], manifest=self.manifest,
                               lint=self.lint).excluded_records()
            lines = lines.with_columns(line=lines["line"].scatter(at, [jsonl([r]).decode() for r in records]))
        return lines["line"].str.join("").cast(pl.Binary).item() if lines.height else b""

    def excluded_records(self) -> list[dict[str, Any]]:
        """One record per excluded row. A text over :data:`prep.limits.SCAN_CHARS` characters is written up to
        there (its length beside it): PII detection read no further, so nothing unchecked is written out."""
        roles = [s["role"] for s in self.manifest["lint_sources"]]
        out = []
        columns = ("source", "row", "line", "reasons", "messages", "prompt", "completion", "redacted")
        for source, row, line, reasons, messages, prompt, completion, redacted in self.excluded.select(columns).iter_rows():
            record: dict[str, Any] = {"source": roles[source], "row": row, "line": line, "reasons": reasons,
                                      "messages": messages, "prompt": prompt, "completion": completion,
                                      **({"redacted": True} if redacted else {})}
            for name in TEXT_FIELDS:
                text = record[name]
                if text is not None and len(text) > SCAN_CHARS:
                    record[name] = text[:SCAN_CHARS]
                    record[f"{name}_chars"] = len(text)
                    record["cut"] = True
            out.append(record)
        return out


def _load_sources(train, validation, settings: Settings, report) -> list[Source]:
    paths = isinstance(validation, (str, Path)) and isinstance(train, (str, Path))
    if paths and Path(validation).resolve() == Path(train).resolve():
        raise InputError(f"{validation}: the validation file is the training file")
    report("reading train data")
    sources = [load(train, settings, role="train")]
    if validation is not None:
        report("reading validation data")
        sources.append(load(validation, settings, role="validation", name=None))
        if sources[1].name == sources[0].name:
            sources[1].name += " (validation)"
    return sources


def _assign(frame: pl.DataFrame, to_validation: set[int] | None) -> pl.DataFrame:
    """``split`` per row: excluded with reasons; else validation for a validation file's rows or the rows the
    split chose (``to_validation``: rows of the training source), train otherwise."""
    excluded = pl.col("reasons").list.len() > 0
    if to_validation is None:
        validation = pl.col("source") == 1
    else:
        validation = (pl.col("source") == 0) & pl.col("row").is_in(sorted(to_validation))
    return frame.with_columns(
        pl.when(excluded).then(pl.lit("excluded")).when(validation).then(pl.lit("validation"))
        .otherwise(pl.lit("train")).alias("split")
    )


def _settle_leaks(frame: pl.DataFrame, the_plan, from_file: bool, lint=None) -> pl.DataFrame:
    """Rows that still leak move to training (or, from a validation file, are excluded by the leak rule).

    Each full check compares every validation row with every training row as written. Rows moved to training can
    make other validation rows leak (a chain of near duplicates); those are found by comparing the remaining
    validation rows with the moved rows only, until none moves; then a full check confirms the result (or finds
    what the small checks missed, and the round repeats). Every check runs on the per-row measures computed once
    (:class:`~prep.prepare.split.LeakCheck`). Each round moves at least one row out of validation, so the rounds
    end; ``MAX_ROUNDS`` only guards against a defect."""
    rules = leak_rules(the_plan.rules, lambda: _all_leak_rules(the_plan.settings))
    check = LeakCheck(frame, rules, the_plan.models, the_plan.settings, lint)
    for _ in range(MAX_ROUNDS):
        leaks = check.leaking(frame)
        if not leaks.height:
            return frame
        frame = _move_leaks(frame, leaks, rules, from_file)
        while leaks.height and not from_file:
            leaks = check.leaking(frame, among=leaks)
            frame = _move_leaks(frame, leaks, rules, from_file)
    raise RuntimeError(f"the leak re-check did not settle in {MAX_ROUNDS} rounds")  # pragma: no cover - a bug if so


def _move_leaks(frame: pl.DataFrame, leaks: pl.DataFrame, rules, from_file: bool) -> pl.DataFrame:
    if not leaks.height:
        return frame
    hit = pl.struct("source", "row").is_in(leaks.to_struct().implode())
    if from_file:
        code = rules[0].code
        frame = frame.with_columns(
            pl.when(hit).then(pl.lit("excluded")).otherwise(pl.col("split")).alias("split"),
            pl.when(hit).then(pl.concat_list("reasons", pl.lit([code]))).otherwise(pl.col("reasons")).alias("reasons"),
            pl.when(hit).then(pl.concat_list("messages", pl.lit(["still a duplicate of a training row after preparing"])))
            .otherwise(pl.col("messages")).alias("messages"),
        )
    else:
        frame = frame.with_columns(pl.when(hit).then(pl.lit("train")).otherwise(pl.col("split")).alias("split"))
    return frame


def _all_leak_rules(settings: Settings) -> list:
    from prep.engine.pack import all_rules

    codes = tuple(cls.code for cls in all_rules() if cls.checks_leaks())
    return engine.build_rules(settings.with_overrides(select=codes, ignore=())) if codes else []


def _redact_excluded(frame: pl.DataFrame, decisions: Decisions, redacting_rule_ran: bool) -> pl.DataFrame:
    """Redact the excluded rows not redacted yet: with ``pii = keep``, from the redacting rule's spans; when no
    redacting rule ran, from the default detector's: excluded.jsonl never holds personal data."""
    excluded = frame.filter((pl.col("split") == "excluded") & ~pl.col("redacted"))
    if redacting_rule_ran:
        keys = set(excluded.select("source", "row").iter_rows())
        return apply_redactions(frame, {k: v for k, v in decisions.redact_if_excluded.items() if k in keys})
    from prep.quoting import default_detector

    spans: dict[tuple[int, int], dict[str, list]] = {}
    keys = list(excluded.select("source", "row").iter_rows())
    for name in TEXT_FIELDS:
        found = default_detector().detect(excluded[name])
        for index, detections in found.items():
            spans.setdefault(keys[index], {})[name] = detections
    return apply_redactions(frame, spans)


def _distribution(frame: pl.DataFrame) -> dict[str, int]:
    counts = frame.group_by(pl.col("completion").str.strip_chars().alias("label")).len()
    ordered = sorted(zip(counts["label"].to_list(), counts["len"].to_list()), key=lambda item: (-item[1], item[0]))
    return quoted_keys(dict(ordered))


def prepare_data(
    train: str | Path | pl.DataFrame | Source,
    *,
    validation: str | Path | pl.DataFrame | Source | None = None,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    options: PrepareOptions | None = None,
    progress: engine.Progress | None = None,
    given: engine.Given | None = None,
) -> Prepared:
    """Lint, exclude, redact and split, in memory (what ``prepare`` writes; the stored procedure uses it too, with
    ``given``: measures the warehouse computed, :func:`prep.engine.run.run`)."""
    options = options or PrepareOptions()
    settings = settings or Settings()
    if models is not None:
        settings = settings.with_overrides(models=tuple(models))
    the_plan = engine.plan(settings)
    report = progress or (lambda message: None)
    sources = _load_sources(train, validation, settings, report)
    result = engine.run(sources, the_plan, progress, given)
    ctx = result.context

    frame = rows_frame(sources)
    writable = set(frame.filter(pl.col("writable")).select("source", "row").iter_rows())
    actions = {rule.code: rule.prepare for rule in the_plan.rules}
    decisions = decide(result.findings, sources, writable, actions, options)
    frame = apply_redactions(with_reasons(frame, decisions), decisions.redact)
    label_like = label_stats(ctx, sources[0]).label_like
    chosen = None
    if validation is None:
        report("splitting")
        chosen = split(frame, ctx, sources[0], options.validation_fraction, options.seed, label_like, the_plan.rules)
    frame = _settle_leaks(_assign(frame, chosen), the_plan, from_file=validation is not None, lint=(ctx, sources[0]))
    redacting = any(rule.prepare is PrepareAction.REDACT for rule in the_plan.rules)
    frame = _redact_excluded(frame, decisions, redacting)

    counts = frame["split"].value_counts()
    by_split = dict(zip(counts["split"].to_list(), counts["count"].to_list()))
    if sum(by_split.values()) != frame.height:  # pragma: no cover - a bug if so
        raise RuntimeError("prepare lost rows: train + validation + excluded != input")
    reasons = frame.filter(pl.col("split") == "excluded")["reasons"].explode().drop_nulls().value_counts()
    by_reason = dict(zip(reasons["reasons"].to_list(), reasons["count"].to_list()))
    prepared = Prepared(frame=frame, manifest={}, lint=result)
    used = the_plan.settings
    prepared.manifest = {
        "tool": "prep",
        "version": __version__,
        "schema_version": 1,
        "inputs": [input_hashes(s, data) for s, data in zip(sources, (train, validation))],
        "options": asdict(options),
        "settings": {
            "models": [m.name for m in the_plan.models],
            "epochs": used.epochs,
            "margin": used.margin,
            "select": list(used.select),
            "ignore": list(used.ignore),
            "rules": [r.code for r in the_plan.rules],
            "labels": dict(used.labels),
        },
        "counts": {
            "input_rows": frame.height,
            "train": by_split.get("train", 0),
            "validation": by_split.get("validation", 0),
            "excluded": by_split.get("excluded", 0),
            "excluded_by_reason": dict(sorted(by_reason.items())),
            "redacted_rows": int(frame["redacted"].sum()),
        },
        "labels": {
            "label_like": label_like,
            "train": _distribution(prepared.train) if label_like else {},
            "validation": _distribution(prepared.validation) if label_like else {},
        },
        "unresolved_errors": [{"code": f.code, "source": f.source, "message": f.message} for f in decisions.unresolved],
        "lint": result.summary(),
        "lint_sources": [{"name": s.name, "role": s.role} for s in sources],
    }
    return prepared


def _json_string(name: str) -> pl.Expr:
    """Column ``name`` as JSON string literals (see :func:`_json_literal`)."""
    return _json_literal(pl.col(name))


def _json_literal(value: pl.Expr) -> pl.Expr:
    """String values as JSON literals (``null`` for a missing one), quoted and escaped by polars' JSON writer: the
    same escapes as ``json.dumps(..., ensure_ascii=False)`` (quote, backslash, the control characters; tests check
    every code point), over the whole column at once."""
    return pl.struct(value.alias("v")).struct.json_encode().str.strip_prefix('{"v":').str.strip_suffix("}")


def _pairs(frame: pl.DataFrame) -> bytes:
    """``{"prompt": ..., "completion": ...}`` per line, byte for byte what ``json.dumps(record, ensure_ascii=False)``
    writes per record, built over whole columns (three times faster than json per row)."""
    line = pl.concat_str([pl.lit('{"prompt": '), _json_string("prompt"), pl.lit(', "completion": '),
                          _json_string("completion"), pl.lit("}\n")])
    return b"".join(frame.lazy().select(line.cast(pl.Binary).alias("line")).collect()["line"].to_list())


def prepare(
    train: str | Path | pl.DataFrame | Source,
    out_dir: str | Path,
    *,
    validation: str | Path | pl.DataFrame | Source | None = None,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    options: PrepareOptions | None = None,
    force: bool = False,
    progress: engine.Progress | None = None,
) -> PrepareResult:
    """Lint ``train`` (and ``validation``), then write train.jsonl, validation.jsonl, excluded.jsonl and
    manifest.json into ``out_dir``. Raises :class:`PrepareFailed` when ``options.errors == "fail"`` and there
    are error findings, and :class:`~prep.errors.PrepError` for usage, configuration and input errors."""
    out_dir = Path(out_dir)
    inputs = (train, validation)
    check_out_dir(out_dir, force, inputs)
    prepared = prepare_data(
        train, validation=validation, settings=settings, models=models, options=options, progress=progress
    )
    files = {
        "train.jsonl": _pairs(prepared.train),
        "validation.jsonl": _pairs(prepared.validation),
        "excluded.jsonl": prepared.excluded_lines(),
    }
    manifest = dict(prepared.manifest)
    manifest["outputs"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in files.items()
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    if progress:
        progress("writing")
    try:
        write_atomically(out_dir, files, force, inputs)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the output directory: {exc.strerror or exc}") from None
    return PrepareResult(out_dir=out_dir, manifest=manifest, lint=prepared.lint)
