from prep.engine.rule import Rule
from prep.finding import Severity


class EmptySource(Rule):
    """A source with no records at all: an empty file, only blank lines, or a CSV with only a header.

    ## What it does
    Reports a training or validation source that holds zero records.

    ## Why is this bad?
    An empty training set cannot be fine-tuned on, and an empty validation file usually means the wrong file was
    exported. Every other rule would pass vacuously, so this one makes the emptiness an error.

    ## Example
    A `train.jsonl` of zero bytes: `no records (the file is empty)`; a `train.json` holding `[]`: `no records
    (the JSON array is empty)`.
    """

    code = "IO002"
    name = "empty-source"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        if source.n_records == 0:
            yield self.finding(source.name, f"no records ({_why_empty(source)})", role=source.role)


def _why_empty(source) -> str:
    if source.size_bytes == 0:
        return "the file is empty"
    return {
        "jsonl": "the file holds only blank lines",
        "json": "the JSON array is empty",
        "csv": "the file holds only a header",
        "parquet": "the table has no rows",
    }.get(source.kind, "no rows")
