from prep.rules._caps import CapRule

from prep.finding import Severity
from prep.measures.tokens import text_stats


class DataOverCap(CapRule):
    """The training data's total UTF-8 size (prompt + completion) is over the base model's training-data cap.

    ## What it does
    Adds up the UTF-8 bytes of every prompt and completion that Cortex would train on (rows where both are
    text) and compares the sum with the model's `data-cap-bytes` in the catalog (1 GB for the 7-8B models and
    250 MB for the 70B and mixtral models in the shipped catalog, read as 10^9 and 2.5 x 10^8 bytes). Checked
    on the training data alone and, with `--validation`, on training plus validation, because whether the cap
    counts validation data is not documented.

    ## Why is this bad?
    A FINETUNE job over the cap fails after it was queued, or trains on less than you think.

    ## Example
    A 400 MB training file checked with `--model llama3-70b`:
    `training data is 400,000,000 bytes, over llama3-70b's cap of 250,000,000 bytes`.

    ## Options
    - `include-validation` (bool, default `true`): also check training + validation together.
    """

    code = "SZ001"
    name = "data-over-cap"
    severity = Severity.ERROR
    unit = "bytes"

    def measure(self, ctx, source):
        return text_stats(ctx, source)[1]

    def cap(self, ctx, model):
        return model.data_cap_bytes
