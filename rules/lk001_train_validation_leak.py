from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.minhash import NearDupConfig
from prep.measures.neardup import leaks


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

    ## Why is this bad?
    Cortex reports the validation loss to tell you whether the model generalises. A validation row the model
    trained on measures memorisation instead, so the loss looks better than the model is, and you pick the wrong
    checkpoint, epochs or model.

    ## Example
    Training row 12 `{"prompt": "Where is my order #123?", "completion": "It ships today."}` and validation
    row 3 `{"prompt": "where is my order #123", "completion": "It ships today"}`:
    `exact duplicate of training row 12 after normalisation (similarity 1.00)`.

    ## Options
    The comparison options of DU002: `threshold` (float, default `0.6`), `compare` (str, default
    `prompt+completion`), `ngram` (int, default `2`), `num-perm` (int, default `128`), `seed` (int, default `1`),
    `nfkc`, `lowercase`, `strip-punctuation` (bool, default `true`), `boilerplate-share` (float, default `0.1`).
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
            for row in sorted(best):
                leak = best[row]
                where = "" if len(ctx.train) == 1 else f" of {leak.train_source}"
                kind = "exact duplicate" if leak.exact else "near duplicate"
                suffix = " after normalisation" if leak.exact else ""
                yield self.finding(
                    validation.name,
                    f"{kind} of training row {leak.train_row}{where}{suffix} (similarity {leak.similarity:.2f})",
                    row=row,
                    train_source=leak.train_source,
                    train_row=leak.train_row,
                    similarity=round(leak.similarity, 4),
                    exact=leak.exact,
                )
