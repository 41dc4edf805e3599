from prep.dataset import UNCONVERTIBLE_CHAT
from prep.engine.rule import Rule
from prep.finding import Severity


class UnconvertibleChat(Rule):
    """A chat record (`{"messages": [...]}`) that is not a single turn and so has no prompt/completion form.

    ## What it does
    Chat-format files are converted record by record: an optional system message, one user message and one
    assistant message become prompt (system, a blank line, user) and completion (assistant). This rule reports
    every chat that does not have that shape: no user or assistant message, several turns, other roles, messages
    out of order, or content that is not a string.

    ## Why is this bad?
    Cortex fine-tuning trains on prompt/completion pairs only. A multi-turn chat must be split or flattened by a
    decision you make, not by a converter guessing.

    ## Example
    ```
    {"messages": [{"role": "system", "content": "You are terse."}, {"role": "assistant", "content": "Hi."}]}
    ```
    `chat has no user message; only single-turn chats (system?, user, assistant) convert to prompt/completion`.
    """

    code = "SC005"
    name = "unconvertible-chat"
    severity = Severity.ERROR

    def check_source(self, ctx, source):
        for row, line, problem in source.problem_rows(UNCONVERTIBLE_CHAT).iter_rows():
            yield self.finding(source.name, problem, row=row, line=line)
