import polars as pl

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.labels import label_stats
from prep.measures.text import exact_keys


class ConflictingCompletions(Rule):
    """The same prompt with different completions: label noise on label-like data, one prompt answered two ways on
    generative data.

    ## What it does
    Groups rows by normalised prompt (as DU001 normalises) and, in every group with more than one distinct
    normalised completion, reports each row whose completion differs from the group's first row, naming that row,
    the group's rows and the number of distinct completions. Checked within each source. The message says what the
    conflict is: on label-like data (see `prep.measures.labels`) `a different label (label noise)`; otherwise `a
    different completion`, the same prompt answered differently, which is not label noise but usually a lost
    context (an input, document or earlier turn the prompt referred to was dropped when the data was exported, as in
    Alpaca rows whose `input` is missing) or a stale answer. `label_like` in the finding's data says which.

    ## Why is this bad?
    The model is asked to give two answers to one question. In classification-style data (ticket in, category
    out) this is label noise that caps accuracy; in generative data the model learns to answer a question it cannot
    see the context of, or an old answer was never removed.

    ## Measured
    `prep lint FILE --model llama3-8b --format json`: mbpp 3 (4 repeated task texts with different code, so
    generative: "a different completion"), support_tickets sample 2 (label-like: "label noise"), clinc150,
    alpaca_demo (instruction as prompt), DBpedia 0; unchanged by issue 17, only the wording.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision mbpp 3/3
    (each the same task text with two different programs); recall 35/35 injected rows with the same prompt and
    another row's completion. On generative data the message says "a different completion": the same prompt
    answered two ways, often a prompt that lost its context.

    ## Example
    ```
    {"prompt": "My bill shows roaming fees", "completion": "Roaming fees"}
    {"prompt": "My bill shows roaming fees", "completion": "Closing account"}
    ```
    Line 2: `same prompt as line 1 with a different completion (2 distinct completions in lines 1, 2)`.
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
        label_like = label_stats(ctx, source).label_like if groups.height else False
        for _, rows, completions, distinct in groups.iter_rows():
            first_row, first_completion = rows[0], completions[0]
            for row, completion in zip(rows[1:], completions[1:]):
                if completion == first_completion:
                    continue
                if label_like:
                    message = (f"same prompt as {source.place(first_row)} with a different label (label noise; {distinct} "
                               f"distinct labels in {source.places(rows)})")
                else:
                    message = (f"same prompt as {source.place(first_row)} with a different completion ({distinct} distinct "
                               f"completions in {source.places(rows)}): one prompt answered differently, often a "
                               f"lost context or a stale answer")
                yield self.finding(
                    source.name,
                    message,
                    label_like=label_like,
                    row=row,
                    first_row=first_row,
                    rows=rows,
                    distinct_completions=distinct,
                )
