from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.flags import template_tokens, token_counts


class TemplateToken(Rule):
    """Llama 3 or Mistral special / chat-template tokens inside the text (`<|eot_id|>`, `[INST]`, `</s>`, ...).

    ## What it does
    Reports each prompt or completion containing the literal text of a special or chat-template token:
    Llama 3's `<|begin_of_text|>`, `<|start_header_id|>`, `<|end_header_id|>`, `<|eot_id|>`, `<|eom_id|>`,
    `<|python_tag|>` and reserved tokens; Mistral's `[INST]`, `[/INST]`, `<s>`, `</s>`, `<unk>`; Llama 2's
    `<<SYS>>`; ChatML's `<|im_start|>` / `<|im_end|>` / `<|endoftext|>`. The message lists each distinct token
    found.

    ## Why is this bad?
    Cortex applies the base model's chat template itself. Template text already in the data is trained on as
    plain text: the model learns to print `<|eot_id|>` or `[/INST]`, and a completion that holds one often holds a
    whole second turn. This is almost always a data-preparation bug. The default is a warning because `<s>` is
    also an HTML tag; raise it to an error in config if your data has no HTML.

    ## Measured
    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 18/18 injected
    chat template tokens. Not sampled for precision: no finding on the four datasets.

    ## Example
    ```
    {"prompt": "<|start_header_id|>user<|end_header_id|>Where is my order?<|eot_id|>", "completion": "Today."}
    ```
    `prompt contains template tokens: <|start_header_id|> (1), <|end_header_id|> (1), <|eot_id|> (1)`.
    """

    code = "TX002"
    name = "template-token"
    severity = Severity.WARNING

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            for row, tokens in template_tokens(source.text_rows(field_name)).iter_rows():
                counts = token_counts(tokens)
                listed = ", ".join(f"{token} ({n})" for token, n in counts.items())
                yield self.finding(
                    source.name,
                    f"{field_name} contains template tokens: {listed}",
                    row=row,
                    field=field_name,
                    tokens=counts,
                )
