from prep.rules._caps import CapRule

from prep.engine.fit import max_epochs
from prep.finding import Severity
from prep.measures.tokens import text_stats


class RowsOverLimit(CapRule):
    """More training rows than the base model accepts at the chosen number of epochs.

    ## What it does
    Counts the rows Cortex would train on (both prompt and completion are text) and compares them with the
    model's row limit: rows at 1 epoch (from the catalog) divided by the number of epochs (`--epochs`, or
    `epochs` in config; default 3, FINETUNE's documented default `max_epochs`). Checked on the training data
    alone and, with `--validation`, on training plus validation.

    ## Why is this bad?
    Snowflake limits how many rows x epochs one job may train on. Over the limit, the job fails or you must
    lower `max_epochs`; the message says which epochs would fit.

    ## Example
    30,000 rows checked with `--model llama3-70b --epochs 3` (21,000 rows at 1 epoch):
    `training data is 30,000 rows, over llama3-70b's cap of 7,000 rows (21,000 rows at 1 epoch / 3 epochs;
    no number of epochs fits)`.

    ## Options
    - `include-validation` (bool, default `true`): also check training + validation together.
    """

    code = "SZ002"
    name = "rows-over-limit"
    severity = Severity.ERROR
    unit = "rows"

    def measure(self, ctx, source):
        return text_stats(ctx, source)[0]

    def cap(self, ctx, model):
        return model.row_limit(ctx.settings.epochs)

    def explain(self, ctx, model):
        rows = sum(self.measure(ctx, s) for s in ctx.train)
        fitting = max_epochs(model, rows) if rows else 0
        advice = f"at most {fitting} epochs fit" if fitting >= 1 else "no number of epochs fits"
        return f" ({model.rows_at_1_epoch:,} rows at 1 epoch / {ctx.settings.epochs} epochs; {advice})"
