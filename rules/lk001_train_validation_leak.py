from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.minhash import NearDupConfig
from prep.measures.neardup import leaks, resolved


@dataclass(frozen=True)
class Options(NearDupConfig):
    pass


class TrainValidationLeak(Rule):
    """A validation row that is an exact or near duplicate of a training row.

    ## What it does
    With `--validation`, compares every validation row with the training rows, the same way DU002 compares rows
    (normalisation, word n-grams, MinHash + LSH, exact Jaccard check; the boilerplate shingles are the training
    data's), and reports each validation row that has a training row at or above `threshold`, naming the best
    matching training row and the similarity. Rows whose normalised text is identical are always found, as exact
    leaks (similarity 1.00).

    On label-like training data (see `prep.measures.labels`; CLINC150 with 151 intents counts) the default
    `compare = "auto"` compares the **prompts only**: short prompts that share a label's words would otherwise
    reach the threshold through the label alone (on a 77-intent set half of the leaks found comparing prompt +
    label were only similar through the label). Whether the training row has the same label is then a separate
    fact, given in the message (`same label` / `different label`) and as `same_label` in the finding's data;
    `compared` in the data says what was compared. Set `compare = "prompt+completion"` for the old behaviour.

    ## Why is this bad?
    Cortex reports the validation loss to tell you whether the model generalises. A validation row the model
    trained on measures memorisation instead, so the loss looks better than the model is, and you pick the wrong
    checkpoint, epochs or model.

    ## Example
    Line 13 of `train.jsonl` `{"prompt": "Where is my order #123?", "completion": "It ships today."}` and line 4
    of `validation.jsonl` `{"prompt": "where is my order #123", "completion": "It ships today"}`:
    `exact duplicate of training line 13 after normalisation (similarity 1.00)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    clinc150 val against train 568 -> 421 (381 with the same label, 40 with a different one; prompts compared, so no
    leak through a label's words); the other files have no validation split.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision
    support_tickets 6/6; clinc150 12/15 (the 3 false: one template with another constraint, "today" and
    "tomorrow"); mbpp 5/11 (the 6 false: opposite-variant tasks as in DU002's known problems). Recall 35/35
    edited training rows written into validation.

    ## Options
    The comparison options of DU002: `threshold` (float, default `0.6`), `compare` (str, default
    `auto`: `prompt` on label-like data, else `prompt+completion`), `ngram` (int, default `2`), `num-perm` (int,
    default `128`), `seed` (int, default `1`), `nfkc`, `lowercase`, `strip-punctuation` (bool, default `true`), `boilerplate-share` (float, default `0.1`).
    """

    code = "LK001"
    name = "train-validation-leak"
    severity = Severity.ERROR
    Options = Options

    def leaking(self, ctx, validation, train):
        """The rows of ``validation`` this rule would report against ``train`` (prepare's re-check after a split)."""
        return {leak.row for leak in leaks(ctx, validation, train, self.options.config())}

    def check(self, ctx):
        config = self.options.config()
        for validation in (s for s in ctx.sources if s.role == "validation"):
            best = {}
            for train in ctx.train:
                for leak in leaks(ctx, validation, train, config):
                    current = best.get(leak.row)
                    if current is None or leak.similarity > current.similarity:
                        best[leak.row] = leak
            compared = resolved(ctx, validation, config).compare
            completions = _completions(validation) if compared == "prompt" else {}
            train_completions = {t.name: _completions(t) for t in ctx.train} if compared == "prompt" else {}
            trains = {t.name: t for t in ctx.train}
            for row in sorted(best):
                leak = best[row]
                where = "" if len(ctx.train) == 1 else f" of {leak.train_source}"
                kind = "exact duplicate" if leak.exact else "near duplicate"
                suffix = " after normalisation" if leak.exact else ""
                extra, label = {}, ""
                if compared == "prompt":
                    same = completions.get(row) == train_completions[leak.train_source].get(leak.train_row)
                    extra = {"same_label": same}
                    label = "; same label" if same else "; different label"
                    kind = "prompt " + ("identical to" if leak.exact else "near duplicate of")
                    message = (f"{kind} the prompt of training {trains[leak.train_source].place(leak.train_row)}"
                               f"{where}{suffix} "
                               f"(similarity {leak.similarity:.2f}{label})")
                else:
                    message = (f"{kind} of training {trains[leak.train_source].place(leak.train_row)}{where}{suffix} "
                               f"(similarity {leak.similarity:.2f})")
                yield self.finding(
                    validation.name,
                    message,
                    row=row,
                    train_source=leak.train_source,
                    train_row=leak.train_row,
                    similarity=round(leak.similarity, 4),
                    exact=leak.exact,
                    compared=compared,
                    **extra,
                )


def _completions(source) -> dict[int, str]:
    """Each pair row's stripped completion (its label on label-like data)."""
    pairs = source.pair_rows()
    return dict(zip(pairs["row"].to_list(), pairs["completion"].str.strip_chars().to_list()))
