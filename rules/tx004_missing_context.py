from dataclasses import dataclass

from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.flags import missing_context
from prep.quoting import quote


@dataclass(frozen=True)
class Options:
    min_words: int = 12

    def __post_init__(self) -> None:
        if self.min_words < 1:
            raise ValueError(f"min-words must be at least 1, got {self.min_words}")


class MissingContext(Rule):
    """A prompt that refers to material it does not contain ("Summarize the following article." and nothing else).

    ## What it does
    Finds the first reference to material in each prompt and reports the prompt when the material is not where
    the reference points:

    - forward references, `the following ...` (`article`, `passage`, `sentence`, `code`, `table`, `list`, ... or
      `the following` alone before a colon, full stop, the end or a preposition, so not "the following day") and
      `the ... below`: nothing follows, that is no colon, newline or opening quote with text after it, and fewer
      than `min-words` words after the reference (words such as "as positive or negative" are instructions, not
      the sentence to classify);
    - backward references, `the ... above`, `the preceding ...`: no line and fewer than `min-words` words before;
    - `this` / `these` / `the given` / `the provided` with text-like material (`passage`, `paragraph`, `text`,
      `article`, `sentence`, `code`, `table`, `email`, ...): neither. "The given list" in "write a function to ...
      the given list" is a function's argument and is not a reference.

    Each finding has the row, the reference as written and its character offset in the prompt.

    ## Why is this bad?
    The model is trained to answer questions about text it never saw: it learns to invent an article to summarise
    or a sentence to correct. This is what an instruction set looks like after its context column (Alpaca's
    `input`) was dropped in a conversion. Put the material back into the prompt, or drop the row.

    ## Example
    ```
    {"prompt": "Classify the following sentence as positive or negative.", "completion": "Positive"}
    ```
    `prompt refers to 'the following sentence' but nothing follows it (4 words after it)`.

    ## Options
    - `min-words` (int, default `12`): how many words after (or before) a reference count as the material even
      without a colon, newline or quote to introduce it.

    ## Measured
    alpaca_demo (999 rows, {instruction, input, output}) converted without its `input` column, prompts = the
    instructions: 111 rows reported, 108 of them rows whose `input` was not empty (the context that was dropped)
    and 3 rows whose `input` was already empty; 13 rows that had an input and a reference were missed (their
    instruction holds the material after a colon, or runs on for 12 words or more). With the input kept
    (instruction, newline, input): 3 rows, the same three, whose instructions lack their material in the original
    data ("Create the HTML code necessary to display the following text.", a multiple-choice question without its
    choices, and "Complete this sentence ...", the one doubtful case). Hand-checked: a random sample of 30 of the
    111 (seed 1) holds 29 prompts with missing material and the doubtful "Complete this sentence" row, so precision
    is about 29/30. gpteacher_toolformer, clinc150 (18,200 chat utterances, where "the following day" and "this
    list" are common), mbpp ("the given list" in 40 prompts), openai_cookbook, pii_small and support_tickets: 0.
    Reproduce with `python3 -m pytest -q tests/test_text_checks.py -k tx004`.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision alpaca_demo
    2/3 (the false one: a multiple-choice question that is there, only its options are missing); recall 34/35
    injected "Summarize the following passage:" with nothing after it. The miss: a prompt that already held a
    reference with its material; the rule reads the first reference of a prompt only.
    """

    code = "TX004"
    name = "missing-context"
    severity = Severity.WARNING
    Options = Options

    def check_source(self, ctx, source):
        found = missing_context(source.text_rows("prompt"), self.options.min_words)
        for row, reference, start, direction, words_before, words_after in found.iter_rows():
            shown = quote(reference)
            if direction == "backward":
                where = f"nothing precedes it ({words_before} word{'s' * (words_before != 1)} before it)"
            elif direction == "forward":
                where = f"nothing follows it ({words_after} word{'s' * (words_after != 1)} after it)"
            else:
                where = "the prompt does not contain it"
            yield self.finding(
                source.name,
                f"prompt refers to '{shown}' but {where}",
                row=row,
                field="prompt",
                reference=shown,
                start=start,
                direction=direction,
                words_before=words_before,
                words_after=words_after,
            )
