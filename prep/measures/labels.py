"""Label-like data: when completions are class labels, and their distribution.

A training set is *label-like* when its completions look like class labels, as in "a support ticket in, a
category out": short, repeated, and few distinct values relative to the rows. The label rules (LB001-LB004),
``prep prepare``'s stratified split and the near-duplicate rules' ``compare = "auto"`` (prompts only on
label-like data) depend on it.

Detection (``[tool.prep.labels]``, all overridable)::

    mode = "auto"            # "auto": detect; "on": always treat completions as labels; "off": never
    max-classes = 50         # up to this many distinct labels, the share test below is enough ...
    max-distinct-share = 0.5 # distinct labels at most this share of the labelled rows (so unique texts are not labels)
    max-label-chars = 100    # every label at most this many characters

``max-classes`` is not a cap: real intent sets have 77 or 150 classes. Above it, the labels must look like
labels more clearly: at most ``MANY_SHARE`` (10%) distinct values per labelled row (each label repeated 10 times
on average), at least ``MANY_REPEATED`` (90%) of the rows carrying a label that occurs 3 times or more, and no
label over ``MANY_WORDS`` (5) words. CLINC150 (151 labels in 15,100 rows) is label-like; code, instruction
answers (mbpp, alpaca) and tool-use transcripts (gpteacher) are not (long, mostly unique completions).

A label is the completion with surrounding whitespace removed; rows whose completion is not a string or is empty
have no label (SC rules report them). Labels that differ only in case, whitespace or punctuation are *variants*
of one another (LB004), compared by :func:`variant_key`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import polars as pl

from prep.config import LabelSettings
from prep.engine.context import source_key
from prep.quoting import counted, quote_values, quoted_keys

_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)

MANY_SHARE = 0.1  # over max-classes: distinct labels at most this share of the labelled rows
MANY_REPEATED = 0.9  # ... this share of the rows have a label that occurs MANY_MIN_COUNT times or more
MANY_MIN_COUNT = 3
MANY_WORDS = 5  # ... and no label has more words


def variant_key(label: str) -> str:
    """What two labels share when they differ only in case, whitespace or punctuation."""
    return _PUNCT_OR_SPACE.sub(" ", unicodedata.normalize("NFKC", label).casefold()).strip()


@dataclass
class LabelStats:
    """The labels of one source: whether they look like labels and why, and per label its rows."""

    label_like: bool
    reason: str
    frame: pl.DataFrame  # columns row, label (non-empty labels only)
    counts: dict[str, int] = field(default_factory=dict)  # label -> rows, most frequent first, then by label
    first_row: dict[str, int] = field(default_factory=dict)
    _shown: dict[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return self.frame.height

    def shown(self, label: str) -> str:
        """``label`` as outputs may show it: PII masked, control characters escaped (:mod:`prep.quoting`)."""
        if self._shown is None:
            self._shown = dict(zip(self.counts, quote_values(self.counts)))
        return self._shown[label] if label in self._shown else quote_values([label])[0]

    def shown_counts(self, labels: list[str] | None = None) -> dict[str, int]:
        """Rows per label (all, or ``labels``), keyed by the shown labels (two that show alike stay apart)."""
        return quoted_keys({label: self.counts[label] for label in (self.counts if labels is None else labels)})


def label_frame(pairs: pl.DataFrame) -> pl.DataFrame:
    """``row`` and ``label`` (the stripped completion) of pair rows with a non-empty label."""
    return (
        pairs.select("row", pl.col("completion").str.strip_chars().alias("label"))
        .filter(pl.col("label").str.len_bytes() > 0)
    )


def stats(pairs: pl.DataFrame, settings: LabelSettings, decide: bool = True) -> LabelStats:
    """Label statistics of a source's pair rows. With ``decide``, apply the detection; otherwise the caller
    decides (a validation set is label-like when its training set is)."""
    frame = label_frame(pairs)
    grouped = (
        frame.group_by("label")
        .agg(pl.len().alias("n"), pl.col("row").min().alias("first"))
        .sort(["n", "label"], descending=[True, False])
    )
    counts = dict(zip(grouped["label"].to_list(), grouped["n"].to_list()))
    first = dict(zip(grouped["label"].to_list(), grouped["first"].to_list()))
    n, k = frame.height, len(counts)
    if settings.mode == "on":
        like, reason = True, "labels.mode = 'on'"
    elif settings.mode == "off":
        like, reason = False, "labels.mode = 'off'"
    elif n < 2:
        like, reason = False, f"{counted(n, 'labelled row')}"
    elif k > max(1.0, settings.max_distinct_share * n):
        like, reason = False, f"{k:,} distinct completions in {n:,} rows, over max-distinct-share"
    elif any(len(label) > settings.max_label_chars for label in counts):
        like, reason = False, f"a completion is longer than max-label-chars ({settings.max_label_chars})"
    elif k > settings.max_classes:
        like, reason = _many_classes(counts, n, settings.max_classes)
    else:
        like, reason = True, f"{counted(k, 'distinct short completion')} in {n:,} rows"
    return LabelStats(label_like=like if decide else False, reason=reason, frame=frame, counts=counts, first_row=first)


def _many_classes(counts: dict[str, int], n: int, max_classes: int) -> tuple[bool, str]:
    """Whether more than ``max-classes`` distinct short completions still look like labels (see the module)."""
    k = len(counts)
    repeated = sum(c for c in counts.values() if c >= MANY_MIN_COUNT)
    if k > MANY_SHARE * n:
        return False, (f"{k:,} distinct completions in {n:,} rows: over max-classes ({max_classes}) and over "
                       f"{MANY_SHARE:.0%} of the rows")
    if repeated < MANY_REPEATED * n:
        return False, (f"{k:,} distinct completions, over max-classes ({max_classes}), and only {repeated:,} of "
                       f"{n:,} rows have a label seen {MANY_MIN_COUNT} times or more")
    if any(len(label.split()) > MANY_WORDS for label in counts):
        return False, (f"{k:,} distinct completions, over max-classes ({max_classes}), some of more than "
                       f"{MANY_WORDS} words")
    return True, f"{k:,} distinct short, repeated completions in {n:,} rows ({n / k:.0f} rows per label on average)"


def label_stats(ctx, source) -> LabelStats:
    """Label statistics of ``source`` for the run, computed once; a validation source is label-like when the first
    training source is. The run's notes say whether the training data was taken as label-like, and why."""
    def compute() -> LabelStats:
        settings = ctx.settings.label_settings()
        if source.role == "train":
            found = stats(source.pair_rows(), settings)
            kind = "label-like" if found.label_like else "not label-like"
            ctx.notes.setdefault("labels", {"text": f"{source.name} is {kind}: {found.reason}"})
            return found
        found = stats(source.pair_rows(), settings, decide=False)
        train = ctx.train
        found.label_like = bool(train) and label_stats(ctx, train[0]).label_like
        return found

    return ctx.memo(source_key("labels", source), compute)
