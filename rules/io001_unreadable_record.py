from prep.dataset import UNREADABLE
from prep.engine.rule import Rule
from prep.finding import Severity


class UnreadableRecord(Rule):
    """A record that cannot be parsed: broken JSON, a CSV record with the wrong number of fields, a non-object.

    ## What it does
    Reports every record the reader could not turn into fields, with its line number where the format has lines.
    The rest of the file is still read and linted.

    ## Why is this bad?
    Snowflake loads such a record as an error or not at all, so the training set silently differs from the file.

    ## Example
    ```
    {"prompt": "Where is my order?", "completion": "It ships today."}
    {"prompt": "Cancel my plan", "completion":
    ```
    The second line is cut off: `line 2: invalid JSON: Expecting value (column 32)`.
    """

    code = "IO001"
    name = "unreadable-record"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        for row, line, problem in source.problem_rows(UNREADABLE).iter_rows():
            yield self.finding(source.name, problem, row=row, line=line)
