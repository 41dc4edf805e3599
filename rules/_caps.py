"""Shared logic of the training-set cap rules (SZ001 bytes, SZ002 rows).

Snowflake states the caps for training data; whether validation data counts towards them is unverified, so
each cap is checked on the training data alone and, when validation data is given and the option
``include-validation`` is on, on training plus validation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prep.catalog import ModelSpec
from prep.engine.context import Context
from prep.engine.rule import Rule
from prep.finding import Finding


@dataclass(frozen=True)
class CapOptions:
    include_validation: bool = True


class CapRule(Rule):
    Options = CapOptions
    unit = ""

    def measure(self, ctx: Context, source) -> int:
        raise NotImplementedError

    def cap(self, ctx: Context, model: ModelSpec) -> int:
        raise NotImplementedError

    def describe(self, value: int) -> str:
        return f"{value:,}"

    def explain(self, ctx: Context, model: ModelSpec) -> str:
        return ""

    def check(self, ctx: Context) -> Iterator[Finding]:
        train = ctx.train
        if not train:
            return
        validation = [s for s in ctx.sources if s.role == "validation"]
        train_value = sum(self.measure(ctx, s) for s in train)
        total = train_value + sum(self.measure(ctx, s) for s in validation)
        where = train[0].name
        for model in ctx.models:
            cap = self.cap(ctx, model)
            scope: str | None = None
            value = train_value
            if train_value > cap:
                scope = "train"
            elif validation and self.options.include_validation and total > cap:
                scope, value = "train+validation", total
            if scope is None:
                continue
            what = "training data" if scope == "train" else "training + validation data (if the cap counts both)"
            yield self.finding(
                where,
                f"{what} is {self.describe(value)} {self.unit}, over {model.name}'s cap of {self.describe(cap)} "
                f"{self.unit}{self.explain(ctx, model)}",
                model=model.name,
                scope=scope,
                value=value,
                cap=cap,
            )
