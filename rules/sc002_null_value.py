from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity


class NullValue(Rule):
    """A null prompt or completion.

    ## What it does
    Reports each record whose prompt or completion is null (JSON `null`, an empty unquoted CSV field, a Parquet
    null).

    ## Why is this bad?
    A row with a null side teaches nothing, and depending on the query it either fails the job or trains the model
    to answer with nothing.

    ## Example
    ```
    {"prompt": "Reset my password", "completion": null}
    ```
    `completion is null`.
    """

    code = "SC002"
    name = "null-value"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            nulls = source.frame.filter(source.frame[f"{field_name}_type"] == "null").select("row", "line")
            for row, line in nulls.iter_rows():
                yield self.finding(source.name, f"{field_name} is null", row=row, field=field_name, line=line)
