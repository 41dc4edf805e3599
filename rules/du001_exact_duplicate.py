import polars as pl

from prep.engine.rule import PrepareAction, Rule
from prep.finding import Copy, Severity
from prep.measures.text import exact_keys


class ExactDuplicate(Rule):
    """The same prompt and completion as an earlier row, after Unicode NFC and whitespace normalisation.

    ## What it does
    Normalises prompt and completion (Unicode NFC, runs of whitespace collapsed to one space, ends stripped) and
    groups rows that are then identical. The first row of each group is kept; every later row is reported, naming
    the kept row and the group's size. Checked within each source; duplicates across training and validation are
    LK001's job.

    ## Why is this bad?
    Each copy is billed per token and epoch, and repeated examples weigh more in training than the rest, skewing
    what the model learns.

    ## Example
    ```
    {"prompt": "Where is my order?", "completion": "It ships today."}
    {"prompt": "Where is my  order? ", "completion": "It ships today."}
    ```
    Line 2: `exact duplicate of line 1 (kept; 2 rows in the group)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    clinc150 0 -> 0, mbpp 1 -> 1, alpaca_demo 14 -> 14, DBpedia 0 -> 0, support_tickets 22 -> 22 (unchanged).

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 35/35 injected
    exact copies (clinc150, support_tickets, mbpp, alpaca_demo). Not sampled for precision: the decision is
    equality after the documented normalisation, checked by tests against an independent computation.
    """

    code = "DU001"
    name = "exact-duplicate"
    severity = Severity.WARNING
    prepare = PrepareAction.KEEP_ONE

    def check_source(self, ctx, source):
        dupes = (
            exact_keys(ctx, source)
            .with_columns(
                pl.col("row").min().over("p", "c").alias("kept"),
                pl.len().over("p", "c").alias("size"),
            )
            .filter(pl.col("row") != pl.col("kept"))
            .select("row", "kept", "size")
        )
        for row, kept, size in dupes.iter_rows():
            yield self.finding(
                source.name,
                f"exact duplicate of {source.place(kept)} (kept; {size} rows in the group)",
                row=row,
                evidence=Copy(kept),
                kept_row=kept,
                group_size=size,
            )
