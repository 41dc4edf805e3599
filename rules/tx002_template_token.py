import polars as pl

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity

# Special and chat-template tokens of the Llama 3 and Mistral families, plus ChatML, whose literal text in
# training data means a template was applied (or half-applied) before the data reached Cortex.
TEMPLATE_TOKEN = (
    r"<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|step_id|image"
    r"|finetune_right_pad_id|reserved_special_token_\d+|im_start|im_end|endoftext)\|>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|<unk>"
)


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
            rows = (
                source.text_rows(field_name)
                .filter(pl.col("text").str.contains(TEMPLATE_TOKEN))
                .select("row", pl.col("text").str.extract_all(TEMPLATE_TOKEN).alias("tokens"))
            )
            for row, tokens in rows.iter_rows():
                counts = {token: tokens.count(token) for token in dict.fromkeys(tokens)}
                listed = ", ".join(f"{token} ({n})" for token, n in counts.items())
                yield self.finding(
                    source.name,
                    f"{field_name} contains template tokens: {listed}",
                    row=row,
                    field=field_name,
                    tokens=counts,
                )
