import polars as pl

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity


class EmptyValue(Rule):
    """An empty or whitespace-only prompt or completion.

    ## What it does
    Reports each record whose prompt or completion is the empty string or holds only whitespace, with its length.

    ## Why is this bad?
    An empty completion trains the model to stop at once; an empty prompt trains it to answer nothing in
    particular. Both are usually export bugs.

    ## Example
    ```
    {"prompt": "   ", "completion": "Your order ships today."}
    ```
    `prompt is whitespace only (3 characters)`.
    """

    code = "SC003"
    name = "empty-value"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            rows = source.text_rows(field_name).filter(pl.col("text").str.strip_chars() == "")
            for row, text in rows.iter_rows():
                what = "empty" if text == "" else f"whitespace only ({len(text)} characters)"
                yield self.finding(source.name, f"{field_name} is {what}", row=row, field=field_name, length=len(text))
