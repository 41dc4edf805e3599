"""Shared logic of the token-budget rules (TK001 prompt, TK002 completion).

A row is over budget when ``tokens + margin > budget``: the margin (``margin`` in config, ``--margin`` on the
command line) reserves tokens on each side for the chat template Cortex adds and for differences between the
reference tokenizer and the service's own counter. ``cut`` is how many tokens Cortex would truncate.
"""

from __future__ import annotations

from collections.abc import Iterator

from prep.dataset import Source
from prep.engine import Context, over_budget
from prep.finding import Finding
from prep.rule import Rule


class BudgetRule(Rule):
    field: str  # "prompt" or "completion"

    def check_source(self, ctx: Context, source: Source) -> Iterator[Finding]:
        margin = ctx.settings.margin
        for model in ctx.models:
            budget = model.budget(self.field)
            rows = over_budget(ctx, source, self.field, model)
            for row, tokens, cut in rows.select("row", "tokens", "cut").iter_rows():
                with_margin = f" + {margin} margin = {tokens + margin:,}" if margin else ""
                yield self.finding(
                    source.name,
                    f"{self.field} has {tokens:,} tokens{with_margin}, over {model.name}'s {self.field} budget of "
                    f"{budget:,}: {cut:,} tokens would be cut",
                    row=row,
                    field=self.field,
                    model=model.name,
                    tokenizer=model.tokenizer,
                    tokens=tokens,
                    margin=margin,
                    budget=budget,
                    cut=cut,
                )
