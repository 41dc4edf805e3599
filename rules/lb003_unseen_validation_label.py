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
