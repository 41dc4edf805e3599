import polars as pl

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity

_NOT_TEXT = ("string", "null", "missing")


class NonTextValue(Rule):
    """A prompt or completion that is not a string: a number, a boolean, a list or an object.

    ## What it does
    Reports each record whose prompt or completion has a non-text type, naming the type. In typed formats
    (Parquet) a whole column of the wrong type is reported on each of its non-null rows.

    ## Why is this bad?
    Snowflake casts or rejects such values depending on the query; a list or object turns into JSON text the model
    then learns to imitate. Make the conversion explicit in the data instead.

    ## Example
    ```
    {"prompt": "How many lines are on my plan?", "completion": 3}
    ```
    `completion is a number, not text`.
    """

    code = "SC004"
    name = "non-text-value"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            kind = pl.col(f"{field_name}_type")
            rows = source.frame.filter(kind.is_not_null() & ~kind.is_in(_NOT_TEXT)).select("row", "line", kind)
            for row, line, type_name in rows.iter_rows():
                article = "an" if type_name[0] in "aeiou" else "a"
                yield self.finding(
                    source.name,
                    f"{field_name} is {article} {type_name}, not text",
                    row=row,
                    field=field_name,
                    type=type_name,
                    line=line,
                )
