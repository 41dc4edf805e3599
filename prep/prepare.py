"""``prep prepare``: clean training and validation files that lose nothing.

The input is linted with the configured rules; then every input row ends in exactly one of three files:

- ``excluded.jsonl``: rows removed, each with its source, original row index and line, the codes and messages of
  the findings that removed it, and its text (with PII spans redacted: PII is never written out again);
- ``train.jsonl`` and ``validation.jsonl``: ``{"prompt": ..., "completion": ...}`` per line, in input order.

What is removed follows the options: rows with error findings (``errors``: exclude, keep, or fail without
writing anything), PII (``pii``: drop the row, redact the spans with typed placeholders, or keep), duplicates
(``duplicates``: keep one row per exact group and near-duplicate cluster, the one DU001/DU002 name, or keep all).
Rows that are not a pair of strings (unreadable records, missing or non-text values) are always excluded.

The validation split, when no validation file is given, is a function of row content and seed only:

- rows are grouped so that exact copies and near-duplicate clusters stay on one side;
- each group's key is the smallest SHA-256 of ``seed, prompt, completion`` among its rows;
- per stratum (the label, for label-like data; one stratum otherwise) groups go to validation in key order until
  the stratum's share reaches ``validation_fraction``, never taking its last training group;
- any validation row that LK001 still finds leaking from training moves to training.

``manifest.json`` records the input fingerprints, the options and settings, the counts (with exclusions by
reason), the label distribution per split, the lint summary and the tool version, and no time stamp: the same
input and options give byte-identical files. The files are written into a temporary directory beside the output
directory, then moved into place with one rename, so they appear complete or not at all.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from prep import __version__, engine
from prep.api import load
from prep.config import Settings
from prep.dataset import TEXT_FIELDS, Source
from prep.errors import ConfigError, InputError, PrepError
from prep.finding import Finding, Severity
from prep.limits import SCAN_CHARS
from prep.quoting import quoted_keys

PII_POLICIES = ("drop", "redact", "keep")
DUPLICATE_POLICIES = ("keep-one", "keep-all")
ERROR_POLICIES = ("exclude", "keep", "fail")
OUTPUTS = ("train.jsonl", "validation.jsonl", "excluded.jsonl", "manifest.json")


class PrepareFailed(PrepError):
    """``errors = fail`` and the data has error findings: nothing was written (exit code 1)."""

    exit_code = 1


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


@dataclass
class PrepareResult:
    out_dir: Path
    manifest: dict[str, Any]
    lint: engine.LintResult = field(repr=False)

    @property
    def counts(self) -> dict[str, Any]:
        return self.manifest["counts"]


# --- deciding each row's fate ---------------------------------------------------------------------------------


@dataclass
class _Row:
    source: int  # index in the run's sources
    row: int
    line: int | None
    prompt: str | None
    completion: str | None
    writable: bool
    reasons: dict[str, list[str]] = field(default_factory=dict)  # code -> messages
    redactions: dict[str, list[dict]] = field(default_factory=dict)  # field -> PI001 spans, applied
    spans_if_excluded: dict[str, list[dict]] = field(default_factory=dict)  # pii = keep: applied if excluded
    split: str = ""

    def exclude(self, finding: Finding) -> None:
        self.reasons.setdefault(finding.code, []).append(finding.message)


def _rows(sources: Sequence[Source]) -> list[_Row]:
    rows = []
    for index, source in enumerate(sources):
        frame = source.frame.select("row", "line", "prompt", "completion", "prompt_type", "completion_type")
        for row, line, prompt, completion, p_type, c_type in frame.iter_rows():
            writable = p_type == "string" and c_type == "string"
            rows.append(_Row(index, row, line, prompt, completion, writable))
    return rows


def _apply_findings(rows: list[_Row], sources: Sequence[Source], result: engine.LintResult, options: PrepareOptions):
    """Mark exclusions and redactions; return the error findings no row exclusion resolves (dataset-level)."""
    by_key = {(r.source, r.row): r for r in rows}
    index_of = {source.name: i for i, source in enumerate(sources)}
    unresolved: list[Finding] = []
    blocking: list[Finding] = []
    for finding in result.findings:
        source = index_of.get(finding.source)
        target = by_key.get((source, finding.row)) if finding.row is not None and source is not None else None
        if finding.code == "PI001":
            if target is None:
                continue
            if options.pii == "drop":
                target.exclude(finding)
            # redacted in the output, or in excluded.jsonl when dropped: PII is not written out again; with "keep"
            # only a row excluded for another reason is redacted (excluded.jsonl never holds PII)
            spans = target.redactions if options.pii != "keep" else target.spans_if_excluded
            spans.setdefault(finding.field or "prompt", []).extend(finding.data.get("spans", []))
            continue
        if finding.code in ("DU001", "DU002"):
            if target is not None and options.duplicates == "keep-one" and not finding.data.get("suspicious"):
                target.exclude(finding)
            continue
        if finding.severity != Severity.ERROR:
            continue
        if target is None:
            unresolved.append(finding)
        elif options.errors == "fail":
            blocking.append(finding)
        elif not target.writable or options.errors == "exclude":
            target.exclude(finding)  # (a row that is not a pair of strings can never be written)
    if options.errors == "fail" and (blocking or unresolved):
        counts = Counter(f.code for f in blocking + unresolved)
        raise PrepareFailed(
            f"{sum(counts.values()):,} error findings ({', '.join(f'{c} {n}' for c, n in sorted(counts.items()))}); "
            "nothing written (use --errors exclude to drop those rows)"
        )
    for row in rows:
        if not row.writable and not row.reasons:
            row.reasons["unwritable"] = ["prompt or completion is not text"]
    return unresolved


def _redact(rows: list[_Row]) -> None:
    from prep.pii import Detection, redact

    for row in rows:
        for field_name, spans in row.redactions.items():
            text = getattr(row, field_name)
            if text is None:
                continue
            found = [Detection(s["entity"], s["start"], s["end"], s["score"], s["masked"]) for s in spans]
            setattr(row, field_name, redact(text, found))


def _redact_excluded(rows: list[_Row], pii_checked: bool) -> None:
    """Redact the excluded rows that are not redacted yet: with ``pii = keep``, from PI001's spans; when PI001
    did not run, from the default detector's (prep.pii defaults): excluded.jsonl never holds PII."""
    excluded = [r for r in rows if r.reasons and not r.redactions]
    if pii_checked:
        for r in excluded:
            r.redactions, r.spans_if_excluded = r.spans_if_excluded, {}
    else:
        from prep.quoting import default_detector

        for field_name in TEXT_FIELDS:
            texts = [getattr(r, field_name) for r in excluded]
            found = default_detector().detect(pl.Series(texts, dtype=pl.String))
            for index, detections in found.items():
                excluded[index].redactions[field_name] = [
                    {"entity": d.entity, "start": d.start, "end": d.end, "score": d.score, "masked": d.masked}
                    for d in detections
                ]
    _redact([r for r in excluded if r.redactions])


# --- the split --------------------------------------------------------------------------------------------------


class _Groups:
    """Union-find over row indices."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _content_key(seed: int, prompt: str, completion: str) -> str:
    digest = hashlib.sha256()
    for part in (str(seed), prompt, completion):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big"))
        digest.update(encoded)
    return digest.hexdigest()


def _split(
    rows: list[_Row], train: Source, ctx: engine.Context, options: PrepareOptions, label_like: bool, rules
) -> None:
    """Assign ``split`` to the kept rows of the training source (see the module docstring)."""
    from prep.neardup import clusters
    from rules.du002_near_duplicate import NearDuplicate

    kept = [r for r in rows if r.source == 0 and not r.reasons]
    for r in kept:
        r.split = "train"
    if not kept or options.validation_fraction == 0:
        return
    groups = _Groups()
    exact = ctx.normalized_pairs(train).group_by("p", "c").agg(pl.col("row"))
    for members in exact["row"].to_list():
        for other in members[1:]:
            groups.union(members[0], other)
    du002 = next((r.options for r in rules if r.code == "DU002"), NearDuplicate().options)
    for cluster in clusters(ctx, train, du002.config()):
        for other in cluster.rows[1:]:
            groups.union(cluster.rows[0], other)

    units: dict[int, list[_Row]] = {}
    for r in kept:
        units.setdefault(groups.find(r.row), []).append(r)
    keyed = []
    for members in units.values():
        key, first = min((_content_key(options.seed, m.prompt, m.completion), m.row) for m in members)
        lead = next(m for m in members if m.row == first)
        stratum = lead.completion.strip() if label_like else ""
        keyed.append((stratum, key, members))
    keyed.sort(key=lambda item: (item[0], item[1]))

    by_stratum: dict[str, list[tuple[str, list[_Row]]]] = {}
    for stratum, key, members in keyed:
        by_stratum.setdefault(stratum, []).append((key, members))
    for units_in in by_stratum.values():
        total = sum(len(m) for _, m in units_in)
        target = int(total * options.validation_fraction + 0.5)
        taken, left = 0, total
        for _, members in units_in:
            size = len(members)
            if taken + size <= target and left - size >= 1:
                for m in members:
                    m.split = "validation"
                taken += size
                left -= size
            if taken >= target:
                break


def _leaking(rows: list[_Row], settings: Settings, models) -> set[tuple[int, int]]:
    """Validation rows that LK001 (with the run's options) finds in the training rows: (source, row) keys."""
    train = [r for r in rows if r.split == "train"]
    validation = [r for r in rows if r.split == "validation"]
    if not train or not validation:
        return set()

    def source(name: str, role: str, members: list[_Row]) -> Source:
        frame = pl.DataFrame(
            {
                "row": list(range(len(members))),
                "line": [None] * len(members),
                "prompt": [m.prompt for m in members],
                "completion": [m.completion for m in members],
                "prompt_type": ["string"] * len(members),
                "completion_type": ["string"] * len(members),
                "problem_code": [None] * len(members),
                "problem": [None] * len(members),
            },
            schema={"row": pl.Int64, "line": pl.Int64, "prompt": pl.String, "completion": pl.String,
                    "prompt_type": pl.String, "completion_type": pl.String, "problem_code": pl.String,
                    "problem": pl.String},
        )
        return Source(name=name, frame=frame, role=role)

    check = settings.with_overrides(select=("LK001",), ignore=())
    result = engine.run(
        [source("train", "train", train), source("validation", "validation", validation)],
        engine.Plan(check, models, engine.build_rules(check)),
    )
    return {(validation[f.row].source, validation[f.row].row) for f in result.findings if f.row is not None}


# --- writing --------------------------------------------------------------------------------------------------


def _jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "surrogatepass")


def _fingerprint(source: Source, path: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"name": source.name, "rows": source.n_records, "kind": source.kind}
    if isinstance(path, (str, Path)) and Path(path).is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        info["sha256"] = digest.hexdigest()
        info["bytes"] = Path(path).stat().st_size
    else:
        digest = hashlib.sha256()
        for prompt, completion in source.frame.select("prompt", "completion").iter_rows():
            digest.update(json.dumps([prompt, completion], ensure_ascii=False).encode("utf-8", "surrogatepass"))
        info["sha256_of_pairs"] = digest.hexdigest()
    return info


def _is_prep_output(directory: Path) -> str | None:
    """Why ``directory`` is not an output prep wrote, or None when it is: it holds exactly prep's files (no
    others, no subdirectories) and a manifest that says prep wrote them."""
    names = sorted(p.name for p in directory.iterdir())
    foreign = [n for n in names if n not in OUTPUTS]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3:,} more" if len(foreign) > 3 else "")
        return f"it holds files prep did not write ({shown})"
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "it has no manifest.json written by prep"
    if not isinstance(manifest, dict) or manifest.get("tool") != "prep":
        return "its manifest.json was not written by prep"
    return None


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def _check_out_dir(out_dir: Path, force: bool, inputs: Sequence[Any] = ()) -> None:
    """Refuse an output location that prep must not write: a file, a non-empty directory without ``force``, and
    with ``force`` anything but a directory that prep itself wrote, or one that holds an input or the current
    directory. ``--force`` replaces prep's output; it never deletes anything else."""
    if out_dir.is_symlink():
        raise InputError(f"{out_dir}: is a symbolic link; give the directory itself as --out")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not force:
        raise InputError(f"{out_dir}: output directory is not empty; use --force to replace it")
    resolved = out_dir.resolve()
    for data in inputs:
        if isinstance(data, (str, Path)) and _inside(Path(data).resolve(), resolved):
            raise InputError(f"{out_dir}: holds the input {data}; --force would delete it (choose another --out)")
    if _inside(Path.cwd().resolve(), resolved):
        raise InputError(f"{out_dir}: is or contains the current directory; --force replaces only prep's output")
    why = _is_prep_output(out_dir)
    if why is not None:
        raise InputError(f"{out_dir}: not replaced: --force replaces only a directory prep wrote, and {why}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``, macOS
    ``renamex_np(RENAME_SWAP)``); False when this system or file system cannot."""
    import ctypes
    import ctypes.util
    import sys

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
            at_fdcwd, rename_exchange = -100, 2
            done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
            done = libc.renamex_np(os.fsencode(a), os.fsencode(b), 2)
        else:
            return False
    except (OSError, AttributeError):
        return False
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(b))


def _write_atomically(out_dir: Path, files: dict[str, bytes], force: bool, inputs: Sequence[Any] = ()) -> None:
    """Write ``files`` into a fresh directory beside ``out_dir``, then move it into place in one step: a new
    ``out_dir`` by one rename, an old one (prep's own output, see :func:`_check_out_dir`) by one atomic exchange,
    so that ``out_dir`` is at every moment either the complete old output or the complete new one. Where the
    system cannot exchange directories, the old one is moved aside first (a crash between the two renames
    leaves it in a hidden ``.DIR.prep-old-*`` directory beside DIR)."""
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.prep-tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the output directory is an ordinary one
    try:
        for name, data in files.items():  # manifest.json last: a staging directory without it is incomplete
            partial = staging / f"{name}.partial"
            with open(partial, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            partial.rename(staging / name)
        _fsync_directory(staging)
        _check_out_dir(out_dir, force, inputs)  # again: it may have changed while we worked
        target = parent / out_dir.name
        if target.is_dir():
            if _exchange(staging, target):  # staging now holds the old output
                _fsync_directory(parent)
                shutil.rmtree(staging, ignore_errors=True)
                return
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.prep-old-", dir=parent))
            os.rename(target, old / out_dir.name)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        elif target.exists():
            raise InputError(f"{out_dir}: exists and is not a directory")
        else:
            os.rename(staging, target)
        _fsync_directory(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- the whole step -------------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """The outcome of preparing, before anything is written: each kept row's split, the excluded rows and the
    manifest (without the output hashes). ``rows`` holds every input row, in input order."""

    rows: list[_Row]
    manifest: dict[str, Any]
    lint: engine.LintResult = field(repr=False)

    @property
    def train(self) -> list[_Row]:
        return [r for r in self.rows if r.split == "train" and not r.reasons]

    @property
    def validation(self) -> list[_Row]:
        return [r for r in self.rows if r.split == "validation" and not r.reasons]

    @property
    def excluded(self) -> list[_Row]:
        return [r for r in self.rows if r.reasons]

    def excluded_records(self) -> list[dict[str, Any]]:
        """One record per excluded row. A text over :data:`prep.limits.SCAN_CHARS` characters is written up to
        there (its length beside it): PII detection read no further, so nothing unchecked is written out."""
        roles = [s["role"] for s in self.manifest["lint_sources"]]
        out = []
        for r in self.excluded:
            record: dict[str, Any] = {
                "source": roles[r.source],
                "row": r.row,
                "line": r.line,
                "reasons": sorted(r.reasons),
                "messages": [m for code in sorted(r.reasons) for m in r.reasons[code]],
                "prompt": r.prompt,
                "completion": r.completion,
                **({"redacted": True} if r.redactions else {}),
            }
            for name in TEXT_FIELDS:
                text = record[name]
                if text is not None and len(text) > SCAN_CHARS:
                    record[name] = text[:SCAN_CHARS]
                    record[f"{name}_chars"] = len(text)
                    record["cut"] = True
            out.append(record)
        return out


def prepare_data(
    train: str | Path | pl.DataFrame | Source,
    *,
    validation: str | Path | pl.DataFrame | Source | None = None,
    settings: Settings | None = None,
    models: Sequence[str] | None = None,
    options: PrepareOptions | None = None,
    progress: engine.Progress | None = None,
) -> Prepared:
    """Lint, exclude, redact and split, in memory (what ``prepare`` writes; the stored procedure uses it too)."""
    options = options or PrepareOptions()
    settings = settings or Settings()
    if models is not None:
        settings = settings.with_overrides(models=tuple(models))
    the_plan = engine.plan(settings)
    paths = isinstance(validation, (str, Path)) and isinstance(train, (str, Path))
    if paths and Path(validation).resolve() == Path(train).resolve():
        raise InputError(f"{validation}: the validation file is the training file")
    report = progress or (lambda message: None)
    report("reading train data")
    sources = [load(train, settings, role="train")]
    if validation is not None:
        report("reading validation data")
        sources.append(load(validation, settings, role="validation", name=None))
        if sources[1].name == sources[0].name:
            sources[1].name += " (validation)"
    result = engine.run(sources, the_plan, progress)
    ctx = result.context

    rows = _rows(sources)
    unresolved = _apply_findings(rows, sources, result, options)
    _redact(rows)
    label_like = ctx.labels(sources[0]).label_like
    if validation is None:
        report("splitting")
        _split(rows, sources[0], ctx, options, label_like, the_plan.rules)
    else:
        for r in rows:
            if not r.reasons:
                r.split = "train" if r.source == 0 else "validation"
    for _ in range(5):  # rows that still leak move to training (or, from a validation file, are excluded)
        leaks = _leaking(rows, the_plan.settings, the_plan.models)
        if not leaks:
            break
        for r in rows:
            if (r.source, r.row) in leaks:
                if validation is None:
                    r.split = "train"
                else:
                    r.reasons["LK001"] = ["still a duplicate of a training row after preparing"]
                    r.split = ""

    _redact_excluded(rows, any(r.code == "PI001" for r in the_plan.rules))
    prepared = Prepared(rows=rows, manifest={}, lint=result)
    train_rows, validation_rows, excluded = prepared.train, prepared.validation, prepared.excluded
    if len(train_rows) + len(validation_rows) + len(excluded) != len(rows):  # pragma: no cover - a bug if so
        raise RuntimeError("prepare lost rows: train + validation + excluded != input")
    by_reason = Counter(code for r in excluded for code in r.reasons)

    def distribution(members: list[_Row]) -> dict[str, int]:
        counts = Counter(r.completion.strip() for r in members)
        return quoted_keys(dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))))

    settings_used = the_plan.settings
    prepared.manifest = {
        "tool": "prep",
        "version": __version__,
        "schema_version": 1,
        "inputs": [_fingerprint(s, data) for s, data in zip(sources, (train, validation))],
        "options": asdict(options),
        "settings": {
            "models": [m.name for m in the_plan.models],
            "epochs": settings_used.epochs,
            "margin": settings_used.margin,
            "select": list(settings_used.select),
            "ignore": list(settings_used.ignore),
            "rules": [r.code for r in the_plan.rules],
            "labels": dict(settings_used.labels),
        },
        "counts": {
            "input_rows": len(rows),
            "train": len(train_rows),
            "validation": len(validation_rows),
            "excluded": len(excluded),
            "excluded_by_reason": dict(sorted(by_reason.items())),
            "redacted_rows": sum(1 for r in rows if r.redactions),
        },
        "labels": {
            "label_like": label_like,
            "train": distribution(train_rows) if label_like else {},
            "validation": distribution(validation_rows) if label_like else {},
        },
        "unresolved_errors": [{"code": f.code, "source": f.source, "message": f.message} for f in unresolved],
        "lint": result.summary(),
        "lint_sources": [{"name": s.name, "role": s.role} for s in sources],
    }
    return prepared


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
    _check_out_dir(out_dir, force, inputs)
    prepared = prepare_data(
        train, validation=validation, settings=settings, models=models, options=options, progress=progress
    )
    files = {
        "train.jsonl": _jsonl({"prompt": r.prompt, "completion": r.completion} for r in prepared.train),
        "validation.jsonl": _jsonl({"prompt": r.prompt, "completion": r.completion} for r in prepared.validation),
        "excluded.jsonl": _jsonl(prepared.excluded_records()),
    }
    manifest = dict(prepared.manifest)
    manifest["outputs"] = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)} for name, data in files.items()
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    if progress:
        progress("writing")
    try:
        _write_atomically(out_dir, files, force, inputs)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot write the output directory: {exc.strerror or exc}") from None
    return PrepareResult(out_dir=out_dir, manifest=manifest, lint=prepared.lint)
