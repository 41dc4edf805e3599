from prep.rules._budget import BudgetRule

from prep.finding import Severity


class CompletionOverBudget(BudgetRule):
    """A completion whose tokens plus the margin exceed the base model's completion budget.

    ## What it does
    The completion-side twin of TK001: counts each completion's tokens with the base model's exact tokenizer and
    reports, per model, every completion with `tokens + margin > completion budget` (2,048 tokens for llama3-8b
    and llama3-70b, 4,096 for the others in the shipped catalog), with the tokens that would be cut.

    ## Why is this bad?
    A truncated completion teaches the model to stop mid-sentence, and the end of an answer is often what
    matters (the conclusion, the label, the closing code fence).

    ## Example
    An 8,000-token assistant reply checked with `--model llama3-8b`:
    `completion has 8,000 tokens + 16 margin = 8,016, over llama3-8b's completion budget of 2,048: 5,968 tokens
    would be cut`.

    ## Options
    None of its own; the global `margin` applies as for TK001.
    """

    code = "TK002"
    name = "completion-over-budget"
    severity = Severity.ERROR
    field = "completion"
