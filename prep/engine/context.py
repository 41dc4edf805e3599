"""What every rule sees during one run: the sources, the models, the settings, and a memo of measures.

The context knows nothing of the domain: measures (:mod:`prep.measures`) keep their per-run results in it with
:meth:`Context.memo`, under keys made by :func:`source_key`, so that work several rules need (token counts,
normalised-text keys, MinHash signatures, label statistics) is done once per source and run.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from prep.catalog import ModelSpec
    from prep.config import Settings
    from prep.dataset import Source

Progress = Callable[[str], None]
T = TypeVar("T")


def source_key(kind: str, source: Source, *parts: Hashable) -> tuple:
    """The memo key of measure ``kind`` on ``source`` (its role and name: the same file as train and validation
    is two sources) with ``parts``."""
    return (kind, source.role, source.name, *parts)


class Context:
    def __init__(
        self,
        sources: Sequence[Source],
        models: Sequence[ModelSpec],
        settings: Settings,
        progress: Progress | None = None,
    ) -> None:
        self.sources = list(sources)
        self.models = list(models)
        self.settings = settings
        self.progress = progress or (lambda message: None)
        self.notes: dict[str, dict[str, Any]] = {}  # what rules and measures report about the run, by topic
        self._memo: dict[Hashable, Any] = {}
        self._closers: list[Callable[[], None]] = []

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per run and key."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def provide(self, key: Hashable, value: Any) -> None:
        """Set what :meth:`memo` returns for ``key``: a measure computed outside this run (by its own module,
        which knows the key)."""
        self._memo[key] = value

    def known(self, key: Hashable) -> bool:
        return key in self._memo

    def memoized(self, key: Hashable) -> Any:
        """What :meth:`memo` holds for ``key``, or None if nothing computed it yet."""
        return self._memo.get(key)

    def on_close(self, closer: Callable[[], None]) -> None:
        """Run ``closer`` when the run ends, however it ends (stop background workers)."""
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    @property
    def train(self) -> list[Source]:
        return [s for s in self.sources if s.role == "train"]
