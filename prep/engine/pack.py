"""Finds the rules in the rule packages and selects them by code, name or code prefix.

The engine knows the rule pack only by name (:data:`RULE_PACKAGES`): it loads each module of the package and
takes the one :class:`Rule` subclass it defines. Nothing in ``prep/`` imports a rule module, so adding, renaming or
removing a rule touches only ``rules/``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable
from functools import lru_cache

from prep.engine.rule import Rule, iter_rule_classes
from prep.errors import ConfigError, did_you_mean

# The packages rules are loaded from, by name.
RULE_PACKAGES = ("prep.rules",)
CODE = re.compile(r"^[A-Z]{2}\d{3}$")
NAME = re.compile(r"^[a-z]+(-[a-z0-9]+)*$")


@lru_cache(maxsize=1)
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, sorted by code. Each module in ``rules/`` holds exactly one rule."""
    modules = []
    for package_name in RULE_PACKAGES:
        package = importlib.import_module(package_name)
        # modules whose name starts with "_" hold what several rules share (base classes), not rules
        modules += [importlib.import_module(f"{package_name}.{m.name}") for m in pkgutil.iter_modules(package.__path__)
                    if not m.name.startswith("_")]
    found: list[type[Rule]] = []
    for module in modules:
        classes = list(iter_rule_classes([module]))
        if len(classes) != 1:
            raise RuntimeError(f"{module.__name__} must define exactly one rule, found {len(classes)}")
        found.extend(classes)
    codes: dict[str, str] = {}
    names: dict[str, str] = {}
    for cls in found:
        if not CODE.match(cls.code) or not NAME.match(cls.name):
            raise RuntimeError(f"{cls.__module__}: bad rule code or name: {cls.code} {cls.name}")
        if cls.code in codes or cls.name in names:
            raise RuntimeError(f"duplicate rule code or name: {cls.code} {cls.name}")
        codes[cls.code] = cls.name
        names[cls.name] = cls.code
    return tuple(sorted(found, key=lambda c: c.code))


def lookup(key: str, where: str = "config") -> type[Rule]:
    """One rule by exact code or name."""
    for cls in all_rules():
        if key.upper() == cls.code or key.lower() == cls.name:
            return cls
    choices = [c.code for c in all_rules()] + [c.name for c in all_rules()]
    raise ConfigError(f"{where}: unknown rule '{key}'{did_you_mean(key, choices)}")


def matches(selector: str, cls: type[Rule]) -> bool:
    """A selector is ALL, an exact code, an exact name, or a code prefix (``TK``, ``SC00``)."""
    sel = selector.strip()
    return sel.upper() == "ALL" or cls.code.startswith(sel.upper()) or sel.lower() == cls.name


def select(selectors: Iterable[str], ignores: Iterable[str], where: str = "config") -> list[type[Rule]]:
    selectors, ignores = list(selectors), list(ignores)
    rules = all_rules()
    for option, entries in (("select", selectors), ("ignore", ignores)):
        for entry in entries:
            if not any(matches(entry, cls) for cls in rules):
                choices = ["ALL"] + [c.code for c in rules] + [c.name for c in rules]
                raise ConfigError(f"{where}: {option}: unknown rule or prefix '{entry}'{did_you_mean(entry, choices)}")
    return [
        cls
        for cls in rules
        if any(matches(s, cls) for s in selectors) and not any(matches(i, cls) for i in ignores)
    ]
