from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.labels import label_stats
from prep.quoting import counted


@dataclass(frozen=True)
class Options:
    max_ratio: float = 4.0
    max_share: float = 0.5
    min_classes_for_share: int = 3

    def __post_init__(self) -> None:
        if self.max_ratio < 1:
            raise ValueError(f"max-ratio must be at least 1, got {self.max_ratio}")
        if not 0 < self.max_share <= 1:
            raise ValueError(f"max-share must be in (0, 1], got {self.max_share}")


def _share(n: int, total: int) -> str:
    return f"{counted(n, 'row')}, {n / total:.0%}"


class LabelImbalance(Rule):
    """The class labels of a label-like training set are skewed.

    ## What it does
    When the completions are class labels (a few distinct short values; see `[tool.prep.labels]` in the README),
    counts the training rows per label and reports the skew, naming the largest and the smallest classes, when
    the largest class has more than `max-ratio` times the rows of the smallest, or (with at least
    `min-classes-for-share` classes) more than `max-share` of all labelled rows. One finding per training set.
    The run's notes say whether the data was taken as label-like, and why.

    ## Why is this bad?
    A fine-tuned classifier learns the prior of its training data: with 80% "Roaming fees" it answers "Roaming
    fees" whenever it is unsure, and the small classes are the ones it gets wrong. Rebalance (collect more of the
    small classes, or down-sample the large ones) or accept the skew knowingly.

    ## Example
    ```
    Roaming fees: 76 rows; Closing account: 29; Add new line: 29; Slow data speed: 17
    ```
    `label 'Roaming fees' has 76 rows, 50% of 151 labelled rows, 4.5x the smallest class 'Slow data speed'
    (17 rows, 11%)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    support_tickets 1 -> 1, DBpedia 0 -> 0. clinc150 (151 intents) was not label-like before (151 distinct
    completions, over max-classes 50), so no LB rule ran on it; now it is, and it has 0 findings (every intent 100
    rows, oos 100; every validation label is seen in training; no case/punctuation variants). mbpp and alpaca_demo
    stay not label-like (0 -> 0).

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision
    support_tickets 1/1 (its service types are imbalanced as stated); clinc150 0 findings (balanced by
    construction).

    ## Options
    - `max-ratio` (float, default `4.0`): largest over smallest class size above which the labels are skewed.
    - `max-share` (float, default `0.5`): share of the largest class above which the labels are skewed.
    - `min-classes-for-share` (int, default `3`): `max-share` applies from this many classes on (two classes of
      60% and 40% are not a problem the ratio misses).
    """

    code = "LB001"
    name = "label-imbalance"
    severity = Severity.WARNING
    Options = Options

    def check(self, ctx):
        for source in ctx.train:
            stats = label_stats(ctx, source)
            if not stats.label_like or len(stats.counts) < 2:
                continue
            total = stats.n_rows
            (largest, most), *_ = stats.counts.items()
            smallest, fewest = list(stats.counts.items())[-1]
            ratio = most / fewest
            share = most / total
            skewed_ratio = ratio > self.options.max_ratio
            skewed_share = len(stats.counts) >= self.options.min_classes_for_share and share > self.options.max_share
            if not (skewed_ratio or skewed_share):
                continue
            shown = stats.shown_counts()
            names = list(shown)
            yield self.finding(
                source.name,
                f"label '{stats.shown(largest)}' has {counted(most, 'row')}, {share:.0%} of {total:,} labelled rows, {ratio:.1f}x "
                f"the smallest class '{stats.shown(smallest)}' ({_share(fewest, total)}); {len(stats.counts)} classes: "
                + ", ".join(f"{label} {n:,}" for label, n in list(shown.items())[:10])
                + (", ..." if len(stats.counts) > 10 else ""),
                largest=names[0],
                smallest=names[-1],
                ratio=round(ratio, 3),
                largest_share=round(share, 4),
                counts=shown,
            )
