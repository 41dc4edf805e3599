import polars as pl

from prep.engine.rule import Rule, row_list
from prep.finding import Severity
from prep.measures.text import exact_keys


class ConflictingCompletions(Rule):
    """The same prompt with different completions (label noise).

    ## What it does
    Groups rows by normalised prompt (as DU001 normalises) and, in every group with more than one distinct
    normalised completion, reports each row whose completion differs from the group's first row, naming that row,
    the group's rows and the number of distinct completions. Checked within each source.

    ## Why is this bad?
    The model is asked to give two answers to one question. In classification-style data (ticket in, category
    out) this is label noise that caps accuracy; in generative data it often means a stale answer was never
    removed.

    ## Example
    ```
    {"prompt": "My bill shows roaming fees", "completion": "Roaming fees"}
    {"prompt": "My bill shows roaming fees", "completion": "Closing account"}
    ```
    Row 1: `same prompt as row 0 with a different completion (2 distinct completions in rows 0, 1)`.
    """

    code = "DU003"
    name = "conflicting-completions"
    severity = Severity.WARNING

    def check_source(self, ctx, source):
        groups = (
            exact_keys(ctx, source)
            .with_columns(pl.col("c").n_unique().over("p").alias("distinct"))
            .filter(pl.col("distinct") > 1)
            .sort("row")
            .group_by("p", maintain_order=True)
            .agg("row", "c", pl.col("distinct").first())
        )
        for _, rows, completions, distinct in groups.iter_rows():
            first_row, first_completion = rows[0], completions[0]
            for row, completion in zip(rows[1:], completions[1:]):
                if completion == first_completion:
                    continue
                yield self.finding(
                    source.name,
                    f"same prompt as row {first_row} with a different completion "
                    f"({distinct} distinct completions in rows {row_list(rows)})",
                    row=row,
                    first_row=first_row,
                    rows=rows,
                    distinct_completions=distinct,
                )
