"""Shared logic of the token-budget rules (TK001 prompt, TK002 completion).

A row is over budget when ``tokens + margin > budget``: the margin (``margin`` in config, ``--margin`` on the
command line) reserves tokens on each side for the chat template Cortex adds and for differences between the
reference tokenizer and the service's own counter. ``cut`` is how many tokens Cortex would truncate. A text over
:data:`prep.tokenizers.LONG_TEXT_BYTES` is counted only until it is over every budget: its tokens and cut are
estimates, said so in the message and in ``data`` (``estimated``, ``counted_bytes``).
"""

from __future__ import annotations

from collections.abc import Iterator

from prep.dataset import Source
from prep.engine.context import Context
from prep.engine.rule import Rule
from prep.finding import Finding
from prep.measures.tokens import over_budget


class BudgetRule(Rule):
    field: str  # "prompt" or "completion"

    def check_source(self, ctx: Context, source: Source) -> Iterator[Finding]:
        margin = ctx.settings.margin
        for model in ctx.models:
            budget = model.budget(self.field)
            rows = over_budget(ctx, source, self.field, model)
            for row, tokens, cut, estimated, counted in rows.select(
                "row", "tokens", "cut", "estimated", "counted_bytes"
            ).iter_rows():
                with_margin = f" + {margin} margin = {tokens + margin:,}" if margin else ""
                about = "about " if estimated else ""
                how = f" (estimated from its first {counted:,} bytes)" if estimated else ""
                extra = {"estimated": True, "counted_bytes": counted} if estimated else {}
                yield self.finding(
                    source.name,
                    f"{self.field} has {about}{tokens:,} tokens{how}{with_margin}, over {model.name}'s {self.field} "
                    f"budget of {budget:,}: {about}{cut:,} tokens would be cut",
                    row=row,
                    field=self.field,
                    model=model.name,
                    tokenizer=model.tokenizer,
                    tokens=tokens,
                    margin=margin,
                    budget=budget,
                    cut=cut,
                    **extra,
                )
