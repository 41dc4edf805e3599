"""The rule interface. Each rule lives in its own module under ``rules/``.

A rule is a class with a stable ``code`` (two letters and three digits), a kebab-case ``name``, a default
``severity``, an ``Options`` dataclass (typed options with defaults), and a docstring with the sections
*What it does*, *Why is this bad?*, *Example* and, when it has options, *Options*. The engine builds one instance
per run with the configured options and severity and calls :meth:`Rule.check` once with the run's context.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, get_type_hints

from prep.errors import ConfigError, did_you_mean
from prep.finding import Finding, Severity

if TYPE_CHECKING:
    from prep.dataset import Source
    from prep.engine.context import Context


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """For rules without options."""


class PrepareAction(str, enum.Enum):
    """What ``prep prepare`` does with the rows a rule's findings name (the rule declares it; prepare never names a
    rule)."""

    BY_SEVERITY = "by-severity"  # an error finding excludes its row (per ``--errors``); other findings change nothing
    REDACT = "redact"  # the finding's evidence (:class:`~prep.finding.Spans`) is personal data (per ``--pii``)
    KEEP_ONE = "keep-one"  # the finding's evidence (:class:`~prep.finding.Copy`) marks a copy (per ``--duplicates``)


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    Options: ClassVar[type] = NoOptions
    prepare: ClassVar[PrepareAction] = PrepareAction.BY_SEVERITY

    def __init__(self, options: Any = None, severity: Severity | None = None) -> None:
        self.options = options if options is not None else self.Options()
        self.effective_severity = severity or type(self).severity
        self.severity_configured = severity is not None

    # --- what a rule implements ---

    def warm(self, input_bytes: int) -> None:
        """Called once the configuration is valid and before any data is read (``input_bytes``: the size of the
        input, 0 when unknown): a rule may begin slow setup in the background here, so that it is ready by
        :meth:`start`; :meth:`settle` is called when the run ends. The default does nothing."""

    def settle(self) -> None:
        """Called when a run ends, however it ends: stop the background setup :meth:`warm` began if it is not
        finished (what is ready may stay for a later run). The default does nothing."""

    def start(self, ctx: Context) -> None:
        """Called for every rule before any rule's :meth:`check`: a rule may begin work here that runs in the
        background (other processes) while the other rules run, and register its cleanup with
        :meth:`Context.on_close`. The default does nothing."""

    def check(self, ctx: Context) -> Iterable[Finding]:
        """All findings of this rule for the run. The default checks each source on its own."""
        for source in ctx.sources:
            yield from self.check_source(ctx, source)

    def check_source(self, ctx: Context, source: Source) -> Iterable[Finding]:
        return ()

    # --- what prepare may ask of a rule ---

    def leaking(self, ctx: Context, validation: Source, train: Source) -> set[int]:
        """Rows of ``validation`` that leak from ``train`` (a leak rule implements it): after splitting, prepare
        moves such rows to training, or excludes them from a validation file. The default finds none."""
        return set()

    @classmethod
    def checks_leaks(cls) -> bool:
        return cls.leaking is not Rule.leaking

    # --- helpers ---

    def finding(
        self,
        source: str,
        message: str,
        *,
        row: int | None = None,
        field: str | None = None,
        severity: Severity | None = None,
        evidence: Any = None,
        **data: Any,
    ) -> Finding:
        """A finding of this rule. ``severity`` lets a rule grade one finding (PI001 by entity type); a severity
        set in config wins over it."""
        return Finding(
            code=self.code,
            name=self.name,
            severity=self.effective_severity if self.severity_configured or severity is None else severity,
            message=message,
            source=source,
            row=row,
            field=field,
            data=data,
            evidence=evidence,
        )

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring."""
        return (inspect.getdoc(cls) or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def documentation(cls) -> str:
        return inspect.getdoc(cls) or ""

    @classmethod
    def build_options(cls, raw: Mapping[str, Any], where: str) -> Any:
        """Typed options from a config table with kebab-case keys; unknown keys and wrong types are errors."""
        known = {f.name.replace("_", "-"): f for f in dataclasses.fields(cls.Options)}
        hints = get_type_hints(cls.Options)
        values = {}
        for key, value in raw.items():
            spec = known.get(key) or known.get(key.replace("_", "-"))
            if spec is None:
                choices = ", ".join(known) or "none"
                raise ConfigError(
                    f"{where}: unknown option '{key}' for {cls.code} ({cls.name}){did_you_mean(key, known)}; "
                    f"options: {choices}"
                )
            values[spec.name] = _coerce(value, hints[spec.name], f"{where}: option '{key}' of {cls.code}")
        try:
            return cls.Options(**values)
        except ValueError as exc:  # an Options.__post_init__ rejecting a value
            raise ConfigError(f"{where}: {cls.code} ({cls.name}): {exc}") from None


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check a TOML/CLI value against a simple annotation: int, float, bool, str, tuple[str, ...] or
    dict[str, float]."""
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where} must be a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where} must be a string, got {value!r}")
    if getattr(hint, "__origin__", None) is tuple:
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    if getattr(hint, "__origin__", None) is dict:
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in value.items()
        ):
            return {k: float(v) for k, v in value.items()}
        raise ConfigError(f"{where} must be a table of numbers, got {value!r}")
    return value


def iter_rule_classes(modules: Iterable[Any]) -> Iterator[type[Rule]]:
    for module in modules:
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule and obj.__module__ == module.__name__:
                yield obj

