from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.tokens import text_stats
from prep.quoting import counted


@dataclass(frozen=True)
class Options:
    min_rows: int = 100


class TooFewRows(Rule):
    """Fewer training rows than a useful fine-tune needs.

    ## What it does
    Counts the training rows where both prompt and completion are text and reports when there are fewer than
    `min-rows` (default 100). Empty sources are left to IO002.

    ## Why is this bad?
    Snowflake recommends starting with a few hundred examples. With a few dozen, a fine-tune mostly memorises
    them, and the credits are better spent on prompting the base model.

    ## Example
    A 40-row file: `training data has 40 usable rows, fewer than the 100 a useful fine-tune needs`.

    ## Options
    - `min-rows` (int, default `100`): the smallest training set that passes.
    """

    code = "SZ003"
    name = "too-few-rows"
    severity = Severity.WARNING
    Options = Options

    def check(self, ctx):
        train = [s for s in ctx.train if s.n_records > 0]
        if not train:
            return
        rows = sum(text_stats(ctx, s)[0] for s in train)
        if rows < self.options.min_rows:
            yield self.finding(
                train[0].name,
                f"training data has {counted(rows, 'usable row')}, fewer than the {self.options.min_rows:,} a useful "
                "fine-tune needs",
                rows=rows,
                min_rows=self.options.min_rows,
            )
