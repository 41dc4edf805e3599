from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.quoting import quote, quote_values

_LISTED = 20  # column names listed in a message


class MissingColumn(Rule):
    """No `prompt` or `completion` column after column mapping, or a record without that key.

    ## What it does
    Reports a source in which no record has the prompt (or completion) column, naming the columns it does have
    (values from the data are shown masked and escaped), once for the whole source. A CSV header that holds the
    column twice is ambiguous: the column is not read, and this rule names its positions. When the column exists
    but some records lack the key, reports each such record.

    ## Why is this bad?
    FINETUNE reads exactly two columns, `prompt` and `completion`; a query without them fails, and a record
    without one has nothing to train on.

    ## Example
    ```
    {"question": "Where is my order?", "answer": "It ships today."}
    ```
    `no 'prompt' column; columns found: question, answer (map one with --prompt-col)`.
    Map it: `prep lint data.jsonl --prompt-col question --completion-col answer`.
    """

    code = "SC001"
    name = "missing-column"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        if source.n_records == 0:
            return
        frame = source.frame
        for field_name in TEXT_FIELDS:
            wanted = source.requested.get(field_name, field_name)
            if source.columns.get(field_name) is None and wanted in source.ambiguous:
                positions = source.ambiguous[wanted]
                yield self.finding(
                    source.name,
                    f"the header has '{quote(wanted)}' {len(positions)} times (columns "
                    f"{', '.join(map(str, positions))}): ambiguous, so it is not read; rename all but one",
                    field=field_name,
                    column=quote(wanted),
                    positions=positions,
                )
                continue
            alike = [c for c in source.available_columns if c.lower() == wanted.lower()]
            if source.columns.get(field_name) is None and len(alike) > 1:
                yield self.finding(
                    source.name,
                    f"columns {' and '.join(repr(c) for c in quote_values(alike))} both match '{quote(wanted)}' "
                    f"(case differs): ambiguous, so none is read; map one with --{field_name}-col",
                    field=field_name,
                    column=quote(wanted),
                    candidates=quote_values(alike),
                )
                continue
            if source.columns.get(field_name) is None:
                available = quote_values(source.available_columns[:_LISTED])
                more = len(source.available_columns) - len(available)
                found = (", ".join(available) or "none") + (f" and {more:,} more" if more > 0 else "")
                if len(source.available_columns) == 1:
                    separator = next((s for s in (";", "\t", "|") if s in source.available_columns[0]), None)
                    if separator is not None:
                        kind = {";": "semicolon", "\t": "tab", "|": "pipe"}[separator]
                        found += f"; the header looks {kind}-separated, and prep reads comma-separated CSV"
                yield self.finding(
                    source.name,
                    f"no '{quote(wanted)}' column; columns found: {found} (map one with --{field_name}-col)",
                    field=field_name,
                    column=quote(wanted),
                    available=available,
                    available_count=len(source.available_columns),
                )
                continue
            missing = frame.filter(frame[f"{field_name}_type"] == "missing").select("row", "line")
            for row, line in missing.iter_rows():
                yield self.finding(
                    source.name,
                    f"record has no '{quote(source.columns[field_name])}' key",
                    row=row,
                    field=field_name,
                    line=line,
                )
