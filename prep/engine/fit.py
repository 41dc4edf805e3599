"""Whether a training set fits a base model: the one definition, used by lint's fit table, ``prep estimate``, the
size rules and PREP_FINETUNE (each with the catalog as the user configured it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prep.catalog import ModelSpec
from prep.config import MAX_EPOCHS
from prep.dataset import TEXT_FIELDS
from prep.engine.context import Context
from prep.measures.tokens import over_budget, text_stats
from prep.quoting import counted


def max_epochs(model: ModelSpec, rows: int) -> int:
    """The most epochs the row limit allows, at most FINETUNE's 10 (0: the rows exceed even one epoch's limit)."""
    return MAX_EPOCHS if rows == 0 else min(MAX_EPOCHS, model.rows_at_1_epoch // rows)


@dataclass(frozen=True)
class Fit:
    model: ModelSpec
    rows: int  # rows where both fields are text
    data_bytes: int  # their prompt + completion UTF-8 bytes
    epochs: int
    rows_over_prompt: int = 0
    rows_over_completion: int = 0
    tokens_cut: int = 0

    @property
    def row_limit(self) -> int:
        return self.model.row_limit(self.epochs)

    @property
    def within_cap(self) -> bool:
        return self.data_bytes <= self.model.data_cap_bytes

    @property
    def within_row_limit(self) -> bool:
        return self.rows <= self.row_limit

    @property
    def fits(self) -> bool:
        """Trainable as it is: some rows, none over a budget, within the data cap and the row limit (``prep
        estimate`` and the fit table agree on this)."""
        return self.rows > 0 and self.rows_over_prompt == 0 and self.rows_over_completion == 0 and self.within_cap and self.within_row_limit

    @property
    def max_epochs(self) -> int:
        return max_epochs(self.model, self.rows)

    def problems(self) -> list[str]:
        """Why the data does not fit, one phrase each (empty when it fits and has rows)."""
        out = []
        if self.rows == 0:
            out.append("no training rows")
        over = self.rows_over_prompt + self.rows_over_completion
        if over:
            out.append(f"{counted(over, 'row')} over {self.model.name}'s token budgets would be truncated")
        if not self.within_cap:
            out.append(f"{self.data_bytes:,} bytes, over the {self.model.data_cap_bytes:,}-byte cap")
        if not self.within_row_limit:
            out.append(f"{self.rows:,} rows, over the limit of {self.row_limit:,} at {self.epochs} epochs")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.model.name,
            "tokenizer": self.model.tokenizer,
            "prompt_budget": self.model.prompt_budget,
            "completion_budget": self.model.completion_budget,
            "data_cap_bytes": self.model.data_cap_bytes,
            "row_limit": self.row_limit,
            "rows_over_prompt_budget": self.rows_over_prompt,
            "rows_over_completion_budget": self.rows_over_completion,
            "tokens_cut": self.tokens_cut,
            "data_bytes": self.data_bytes,
            "rows": self.rows,
            "fits": self.fits,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], model: ModelSpec, epochs: int) -> Fit:
        """A fit recorded with :meth:`to_dict` (a prepare run's summary), judged for ``model`` at ``epochs``."""
        return cls(
            model=model,
            rows=int(data.get("rows", 0)),
            data_bytes=int(data.get("data_bytes", 0)),
            epochs=epochs,
            rows_over_prompt=int(data.get("rows_over_prompt_budget", 0)),
            rows_over_completion=int(data.get("rows_over_completion_budget", 0)),
            tokens_cut=int(data.get("tokens_cut", 0)),
        )


def model_fits(ctx: Context) -> list[Fit]:
    """The fit of the training data (all training sources together) to each of the run's models."""
    fits = []
    stats = [text_stats(ctx, s) for s in ctx.train]
    for model in ctx.models:
        over = {f: [over_budget(ctx, s, f, model) for s in ctx.train] for f in TEXT_FIELDS}
        fits.append(
            Fit(
                model=model,
                rows=sum(rows for rows, _ in stats),
                data_bytes=sum(size for _, size in stats),
                epochs=ctx.settings.epochs,
                rows_over_prompt=sum(o.height for o in over["prompt"]),
                rows_over_completion=sum(o.height for o in over["completion"]),
                tokens_cut=int(sum(o["cut"].sum() for f in TEXT_FIELDS for o in over[f])),
            )
        )
    return fits


ModelFit = Fit  # the fit table's rows
