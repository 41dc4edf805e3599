from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.labels import label_stats


@dataclass(frozen=True)
class Options:
    min_examples: int = 10

    def __post_init__(self) -> None:
        if self.min_examples < 1:
            raise ValueError(f"min-examples must be at least 1, got {self.min_examples}")


class RareLabel(Rule):
    """A class label with too few training examples to learn.

    ## What it does
    In a label-like training set (see LB001), reports each label with fewer than `min-examples` rows, by name,
    at the first row that has it.

    ## Why is this bad?
    A class seen a handful of times is rarely learned: the model will seldom produce it, and a validation split
    may get none of it. Collect more examples, merge the class into a related one, or drop it on purpose.

    ## Example
    ```
    {"prompt": "...", "completion": "MeanOfTransportation"}   # 8 of 200 rows
    ```
    `label 'MeanOfTransportation' has only 8 rows (4% of 200), fewer than min-examples (10)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    DBpedia 1 -> 1 (MeanOfTransportation, 8 rows), support_tickets 0 -> 0. clinc150 (151 intents) was not label-like
    before (151 distinct completions, over max-classes 50), so no LB rule ran on it; now it is, and it has 0
    findings (every intent 100 rows, oos 100; every validation label is seen in training; no case/punctuation
    variants). mbpp and alpaca_demo stay not label-like (0 -> 0).

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision
    support_tickets 1/1 (the rare service type is rare); clinc150 0 findings (every intent has 100 rows).

    ## Options
    - `min-examples` (int, default `10`): the fewest training rows a label should have.
    """

    code = "LB002"
    name = "rare-label"
    severity = Severity.WARNING
    Options = Options

    def check(self, ctx):
        for source in ctx.train:
            stats = label_stats(ctx, source)
            if not stats.label_like:
                continue
            for label, n in sorted(stats.counts.items(), key=lambda item: (item[1], item[0])):
                if n >= self.options.min_examples:
                    continue
                yield self.finding(
                    source.name,
                    f"label '{stats.shown(label)}' has only {n:,} row{'s' if n != 1 else ''} ({n / stats.n_rows:.0%} of "
                    f"{stats.n_rows:,}), fewer than min-examples ({self.options.min_examples})",
                    row=stats.first_row[label],
                    label=stats.shown(label),
                    count=n,
                )
