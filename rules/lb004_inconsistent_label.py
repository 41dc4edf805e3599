from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.labels import label_stats, variant_key
from prep.quoting import quote_values


class InconsistentLabel(Rule):
    """Labels that differ only in case, whitespace or punctuation.

    ## What it does
    When the training set is label-like (see LB001), groups the labels of the training and validation sets by
    their case-folded text with punctuation and whitespace runs reduced to one space, and reports every label of
    a group with more than one spelling, except the most frequent one, naming the spelling it most likely means.
    One finding per variant, at its first row.

    ## Why is this bad?
    `Roaming fees`, `roaming fees.` and `Roaming  Fees` are one class to a person and three to the model: each
    spelling splits the class's examples, and the model learns to produce all of them. LLM-annotated data is full
    of these. Map every variant to one spelling before training.

    ## Example
    ```
    {"prompt": "...", "completion": "Roaming fees"}    # 76 rows
    {"prompt": "...", "completion": "roaming fees."}   # 2 rows
    ```
    `label 'roaming fees.' (2 rows) differs from 'Roaming fees' (76 rows) only in case, whitespace or
    punctuation`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    support_tickets 0 -> 0, DBpedia 0 -> 0. clinc150 (151 intents) was not label-like before (151 distinct
    completions, over max-classes 50), so no LB rule ran on it; now it is, and it has 0 findings (every intent 100
    rows, oos 100; every validation label is seen in training; no case/punctuation variants). mbpp and alpaca_demo
    stay not label-like (0 -> 0).

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 15/15 labels
    injected in another case (clinc150 and support_tickets, the label-like sets), each reported once; before
    issue 17 5/5 (support_tickets only: clinc150 was not label-like).

    ## Options
    None.
    """

    code = "LB004"
    name = "inconsistent-label"
    severity = Severity.WARNING

    def check(self, ctx):
        train = ctx.train
        if not train or not label_stats(ctx, train[0]).label_like:
            return
        totals: dict[str, int] = {}
        for source in ctx.sources:
            for label, n in label_stats(ctx, source).counts.items():
                totals[label] = totals.get(label, 0) + n
        groups: dict[str, list[str]] = {}
        for label in totals:
            groups.setdefault(variant_key(label), []).append(label)
        for variants in groups.values():
            if len(variants) < 2:
                continue
            variants.sort(key=lambda label: (-totals[label], label))
            main = variants[0]
            for variant in variants[1:]:
                for source in ctx.sources:
                    stats = label_stats(ctx, source)
                    if variant not in stats.counts:
                        continue
                    shown = dict(zip(variants, quote_values(variants)))
                    yield self.finding(
                        source.name,
                        f"label '{shown[variant]}' ({stats.counts[variant]:,} row{'s' if stats.counts[variant] != 1 else ''}) "
                        f"differs from '{shown[main]}' ({totals[main]:,} rows) only in case, whitespace or punctuation",
                        row=stats.first_row[variant],
                        field="completion",
                        label=shown[variant],
                        canonical=shown[main],
                        variants=[shown[v] for v in variants],
                    )
