from dataclasses import dataclass

import polars as pl

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.flags import template_variables
from prep.quoting import counted, quote

EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class Options:
    min_rows: int = 10
    min_share: float = 0.01

    def __post_init__(self) -> None:
        if self.min_rows < 1:
            raise ValueError(f"min-rows must be at least 1, got {self.min_rows}")
        if not 0 <= self.min_share <= 1:
            raise ValueError(f"min-share must be in [0, 1], got {self.min_share}")


class UnfilledPlaceholder(Rule):
    """The same template variable (`{product_purchased}`, `{{name}}`, `${var}`, `<FIRST_NAME>`) left in many rows.

    ## What it does
    Finds template variables in prompts and completions, one identifier in template-engine syntax: `{{name}}`
    (Jinja, Mustache; `{{ name }}` counts as `{{name}}`), `{name}` (Python `str.format`), `${name}` (shell,
    JavaScript) and `<FIRST_NAME>` (upper case). It reports each variable found in at least `min-rows` rows and
    at least `min-share` of the source's rows, once for the whole source, with its row count, the fields it is in
    and the first few rows.

    Not variables:

    - redaction placeholders, which PI001 already treats as redacted text: anything in square brackets (`[NAME]`,
      `[EMAIL_ADDRESS]`, what `prep prepare` writes) and angle-bracket entity tags as presidio's anonymizer writes
      them (`<EMAIL>`, `<PERSON>`, `<PHONE_NUMBER>`, ...). Braces are template syntax, so `{{phone_number}}` is a
      variable here even though PI001 rightly finds no personal data in it;
    - code: a text with a code marker (a line starting with `def`, `return`, `import`, `const`, ...; a line ending
      in `;` or `{`; `.format(`; an f-string; `=>`; `x = {`; a backtick) is skipped, so f-strings, format strings,
      sets and dict literals are not reported; JSON objects (`{"key": 1}`) never match;
    - LaTeX (`\\frac{a}{b}`, `x^{n}`), generics (`List<T>`), upper-case HTML tags (`<BR>`) and tokenizer tokens
      (`<EOS>`).

    ## Why is this bad?
    A variable that survives into the data means the template was never filled: the model is trained on the
    literal `{product_purchased}` and will write it back to users. When it is in every prompt, the model never sees
    the real values it is meant to handle. Fill the variable (or drop the template) before export; if the
    placeholders are a deliberate anonymisation, use one redaction style (`[NAME]`) and ignore TX003.

    ## Example
    ```
    {"prompt": "I'm having an issue with the {product_purchased}. Please assist.", "completion": "..."}  # every row
    ```
    `'{product_purchased}' is in 8,469 of 8,469 rows (100%) (prompt 8,469): rows 0, 1, 2, 3, 4 and 8,464 more;
    an unfilled template variable?`.

    ## Options
    - `min-rows` (int, default `10`): the fewest rows a variable must be in to be reported.
    - `min-share` (float, default `0.01`): the smallest share of the source's rows it must be in as well. A
      leftover template is usually in a large share of the rows; an incidental `{name}` in a few rows of a big
      set is left alone.

    ## Measured
    On the datasets in `../shared/data`: pii_small's `masked` column (presidio-research's generator templates,
    100 rows, taken as prompts) gives 6 variables at the defaults, all of them the generator's slots
    (`{{first_name}}` in 18 rows, `{{city}}` 17, `{{person}}` 14, `{{address}}` and `{{street_name}}` 11,
    `{{credit_card_number}}` 10; 6 of 6 correct, read by hand); slots in fewer than 10 rows (`{{phone_number}}`, 6)
    are below the threshold. Its `full_text`, alpaca_demo, gpteacher_toolformer
    (7,673 rows with Python and JavaScript code), clinc150, mbpp (both files, code and tests), openai_cookbook and
    support_tickets give none. At `min-rows = 1` and `min-share = 0` they give one, a real leftover:
    gpteacher_toolformer's `{input}` in 4 generated completions (`search('{input}')` where the query should be);
    their other braces are in code (alpaca's `{temp}` and `${apiKey}`) or in square brackets (alpaca's
    `[Your Name]`). Reproduce with `python3 -m pytest -q tests/test_text_checks.py -k tx003`.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 352/352 rows
    carrying an injected `{customer_name}` in 2% of the rows, each reported once with all its rows; no finding
    on the four datasets before injection.
    """

    code = "TX003"
    name = "unfilled-placeholder"
    severity = Severity.WARNING
    Options = Options

    def check_source(self, ctx, source):
        found = [
            template_variables(source.text_rows(field_name)).explode("variables").select(
                "row", pl.col("variables").alias("variable"), pl.lit(field_name).alias("field")
            )
            for field_name in TEXT_FIELDS
        ]
        variables = pl.concat(found)
        if variables.is_empty():
            return
        total = source.frame.height
        needed = max(self.options.min_rows, self.options.min_share * total)
        per_variable = (
            variables.group_by("variable", maintain_order=True)
            .agg(
                pl.col("row").unique().sort().alias("rows"),
                pl.col("field").filter(pl.col("field") == "prompt").len().alias("prompt"),
                pl.col("field").filter(pl.col("field") == "completion").len().alias("completion"),
            )
            .with_columns(pl.col("rows").list.len().alias("n"), pl.col("rows").list.first().alias("first"))
            .filter(pl.col("n") >= needed)
            .sort(["n", "first"], descending=[True, False])
        )
        for variable, rows, prompt, completion, n, _ in per_variable.iter_rows():
            fields = {name: count for name, count in (("prompt", prompt), ("completion", completion)) if count}
            shown = quote(variable)
            in_fields = ", ".join(f"{name} {count:,}" for name, count in fields.items())
            yield self.finding(
                source.name,
                f"'{shown}' is in {n:,} of {counted(total, 'row')} ({n / total:.0%}) ({in_fields}): {source.places(rows)}; "
                "an unfilled template variable?",
                variable=shown,
                rows=n,
                share=round(n / total, 4),
                fields=fields,
                example_rows=rows[:EXAMPLE_ROWS],
            )
