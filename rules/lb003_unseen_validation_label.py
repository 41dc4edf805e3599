import polars as pl

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.labels import label_stats


class UnseenValidationLabel(Rule):
    """A validation row whose label never occurs in the training data.

    ## What it does
    When the training set is label-like (see LB001), reports each validation row whose label (its stripped
    completion) is not the label of any training row, with the number of validation rows sharing it.

    ## Why is this bad?
    The model cannot learn a class it never sees: every such validation row counts as an error, so the
    validation loss measures the split rather than the model. Usually the split was not stratified, or the
    label is a variant spelling of a training label (see LB004).

    ## Example
    ```
    train:      {"prompt": "...", "completion": "Roaming fees"}
    validation: {"prompt": "...", "completion": "Lost phone"}
    ```
    `validation label 'Lost phone' never occurs in training (1 validation row has it)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    clinc150 val 0 -> 0. clinc150 (151 intents) was not label-like before (151 distinct completions, over max-
    classes 50), so no LB rule ran on it; now it is, and it has 0 findings (every intent 100 rows, oos 100; every
    validation label is seen in training; no case/punctuation variants). mbpp and alpaca_demo stay not label-like (0
    -> 0).

    ## Options
    None.
    """

    code = "LB003"
    name = "unseen-validation-label"
    severity = Severity.ERROR

    def check(self, ctx):
        train = ctx.train
        if not train or not label_stats(ctx, train[0]).label_like:
            return
        seen = set().union(*(label_stats(ctx, source).counts for source in train))
        for source in ctx.sources:
            if source.role != "validation":
                continue
            stats = label_stats(ctx, source)
            unseen = stats.frame.filter(~pl.col("label").is_in(list(seen)))
            for row, label in unseen.iter_rows():
                n = stats.counts[label]
                yield self.finding(
                    source.name,
                    f"validation label '{stats.shown(label)}' never occurs in training ({n:,} validation row"
                    f"{'s have' if n != 1 else ' has'} it)",
                    row=row,
                    field="completion",
                    label=stats.shown(label),
                )
