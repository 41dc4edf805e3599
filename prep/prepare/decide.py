"""From findings to each row's fate: excluded (with the codes and messages that excluded it), redacted, or kept.

Each finding is handled by what its rule declares (:class:`~prep.engine.rule.PrepareAction`), never by its code:
a redacting rule's spans are redacted (``pii``: drop the row and redact it, redact, or keep it, redacting it only if
it is excluded for another reason); a keep-one rule's copies are excluded (``duplicates``: keep-one or keep-all);
any other rule's error findings exclude their rows (``errors``: exclude, keep, or fail). Rows that are not a pair of
strings are always excluded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from prep.dataset import TEXT_FIELDS, Source
from prep.engine.rule import PrepareAction
from prep.errors import PrepError
from prep.finding import Copy, Finding, Severity, Spans
from prep.measures.pii import redact

UNWRITABLE = ("unwritable", "prompt or completion is not text")


class PrepareFailed(PrepError):
    """``errors = fail`` and the data has error findings: nothing was written (exit code 1)."""

    exit_code = 1


def rows_frame(sources: Sequence[Source]) -> pl.DataFrame:
    """Every input row of every source: ``source`` (its index), ``row``, ``line``, ``prompt``, ``completion``, and
    ``writable`` (both fields are text)."""
    parts = [
        s.frame.select(
            pl.lit(i, dtype=pl.Int64).alias("source"), "row", "line", "prompt", "completion",
            ((pl.col("prompt_type") == "string") & (pl.col("completion_type") == "string")).alias("writable"),
        )
        for i, s in enumerate(sources)
    ]
    return pl.concat(parts, how="vertical")


@dataclass
class Decisions:
    """The exclusions (``source``, ``row``, ``code``, ``message``, in finding order), the spans to redact per row
    and field (now, and only if the row ends up excluded), and the error findings no row exclusion resolves."""

    exclusions: list[tuple[int, int, str, str]] = field(default_factory=list)
    redact: dict[tuple[int, int], dict[str, list]] = field(default_factory=dict)
    redact_if_excluded: dict[tuple[int, int], dict[str, list]] = field(default_factory=dict)
    unresolved: list[Finding] = field(default_factory=list)


def decide(findings: Sequence[Finding], sources: Sequence[Source], writable: set[tuple[int, int]],
           actions: dict[str, PrepareAction], options) -> Decisions:
    """Apply the options to the findings. A loop over findings, which are Python objects already."""
    index_of = {source.name: i for i, source in enumerate(sources)}
    out = Decisions()
    blocking: list[Finding] = []
    for finding in findings:
        source = index_of.get(finding.source)
        key = (source, finding.row) if finding.row is not None and source is not None else None
        action = actions.get(finding.code, PrepareAction.BY_SEVERITY)
        if action is PrepareAction.REDACT:
            if key is None or not isinstance(finding.evidence, Spans):
                continue
            if options.pii == "drop":
                out.exclusions.append((*key, finding.code, finding.message))
            target = out.redact if options.pii != "keep" else out.redact_if_excluded
            target.setdefault(key, {}).setdefault(finding.field or "prompt", []).extend(finding.evidence.spans)
            continue
        if action is PrepareAction.KEEP_ONE:
            copy = finding.evidence
            if key is not None and options.duplicates == "keep-one" and isinstance(copy, Copy) and copy.kept_row is not None:
                out.exclusions.append((*key, finding.code, finding.message))
            continue
        if finding.severity != Severity.ERROR:
            continue
        if key is None:
            out.unresolved.append(finding)
        elif options.errors == "fail":
            blocking.append(finding)
        elif key not in writable or options.errors == "exclude":
            out.exclusions.append((*key, finding.code, finding.message))  # an unwritable row can never be written
    if options.errors == "fail" and (blocking or out.unresolved):
        counts = Counter(f.code for f in blocking + out.unresolved)
        raise PrepareFailed(
            f"{sum(counts.values()):,} error findings ({', '.join(f'{c} {n}' for c, n in sorted(counts.items()))}); "
            "nothing written (use --errors exclude to drop those rows)"
        )
    return out


def with_reasons(frame: pl.DataFrame, decisions: Decisions) -> pl.DataFrame:
    """``frame`` with ``reasons`` (the excluding codes, sorted) and ``messages`` (their messages, by code, in
    finding order) per row; empty lists for rows kept. Unwritable rows without a reason get ``unwritable``."""
    excl = pl.DataFrame(
        decisions.exclusions, schema={"source": pl.Int64, "row": pl.Int64, "code": pl.String, "message": pl.String},
        orient="row",
    ).with_row_index("order")
    grouped = (
        excl.sort("source", "row", "code", "order")
        .group_by("source", "row", maintain_order=True)
        .agg(pl.col("code").unique(maintain_order=True).alias("reasons"), pl.col("message").alias("messages"))
    )
    out = frame.join(grouped, on=["source", "row"], how="left")
    empty = pl.lit([], dtype=pl.List(pl.String))
    unwritable = ~pl.col("writable") & pl.col("reasons").is_null()
    return out.with_columns(
        pl.when(unwritable).then(pl.lit([UNWRITABLE[0]])).otherwise(pl.col("reasons").fill_null(empty)).alias("reasons"),
        pl.when(unwritable).then(pl.lit([UNWRITABLE[1]])).otherwise(pl.col("messages").fill_null(empty)).alias("messages"),
    )


def apply_redactions(frame: pl.DataFrame, spans: dict[tuple[int, int], dict[str, list]]) -> pl.DataFrame:
    """``frame`` with the spans of each listed row and field replaced by typed placeholders, and ``redacted``
    set. A loop over the rows with spans only (a few in a hundred), each text edited in Python; the edited texts
    are scattered into the columns, which keeps every other text where it is (no copy of the column)."""
    if not spans:
        return frame if "redacted" in frame.columns else frame.with_columns(redacted=pl.lit(False))
    keys = pl.DataFrame(list(spans), schema={"source": pl.Int64, "row": pl.Int64}, orient="row")
    at = frame.select("source", "row").with_row_index("at").join(keys, on=["source", "row"], how="semi")["at"]
    edited: dict[str, list] = {name: [] for name in TEXT_FIELDS}
    for source, row, prompt, completion in frame[at].select("source", "row", *TEXT_FIELDS).iter_rows():
        fields = spans[(source, row)]
        for name, text in (("prompt", prompt), ("completion", completion)):
            edited[name].append(redact(text, fields[name]) if text is not None and name in fields else text)
    hit = np.zeros(frame.height, dtype=bool)
    hit[at.to_numpy()] = True
    base = frame["redacted"].to_numpy() if "redacted" in frame.columns else False
    # scatter writes into its own series: a clone shares the frame's buffers until then, and only its views change
    return frame.with_columns(
        *[frame[f].clone().scatter(at, pl.Series(f, edited[f], dtype=pl.String)) for f in TEXT_FIELDS],
        pl.Series("redacted", base | hit),
    )
