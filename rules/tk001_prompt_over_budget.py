from prep.rules._budget import BudgetRule

from prep.finding import Severity


class PromptOverBudget(BudgetRule):
    """A prompt whose tokens plus the margin exceed the base model's prompt budget.

    ## What it does
    Counts each prompt's tokens with the base model's exact tokenizer (Llama 3 BPE for the llama3 and llama3.1
    models, Mistral v1 SentencePiece for mistral-7b and mixtral-8x7b; raw text, no BOS/EOS) and reports, per
    model, every prompt with `tokens + margin > prompt budget`. The message gives the tokens, the margin, the
    budget, the model and how many tokens would be cut. Budgets come from the model catalog
    (`prep/data/models.toml`, overridable in config).

    ## Why is this bad?
    Cortex does not reject an over-long row: it silently truncates it. The model then trains on a prompt whose
    end (often the actual question) is missing, and you pay for the tokens anyway.

    ## Measured
    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 11/11 prompts
    written over the llama3-8b budget. Not sampled for precision: the count is the model's exact tokenizer
    against the catalog budget.

    ## Example
    A 7,000-token contract pasted into a prompt, checked with `--model llama3-8b`:
    `prompt has 7,000 tokens + 16 margin = 7,016, over llama3-8b's prompt budget of 6,144: 872 tokens would be cut`.

    ## Options
    None of its own. The global `margin` (default 16 tokens, `--margin`) is reserved on each side of the row for
    the chat template and for tokenizer differences; see the README.
    """

    code = "TK001"
    name = "prompt-over-budget"
    severity = Severity.ERROR
    field = "prompt"
