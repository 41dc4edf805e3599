"""Hostile inputs (tests/hostile/cases.py) through the real CLI in a subprocess, under memory and time limits.

Every case runs ``prep lint`` and ``prep prepare`` (and ``prepare --pii keep`` for the PII cases), and every run
must keep the invariants of :func:`tests.hostile.runner.problems`: exit code 0, 1 or 2, no traceback or internal
error, no process left behind, no raw control bytes on the terminal, a line for every row-level annotation, every
input row accounted for, no raw PII anywhere, and a hint wherever a reader would otherwise guess.

Only the eight cases tagged ``quick`` run in the default (non-slow) suite, ``lint`` only (a run
costs 1 to 5 s, mostly loading the PII engine, and ``pytest -m "not slow"`` must stay under two minutes);
everything else is marked ``slow`` and runs in CI. Runs are sequential on purpose: the limits and timings mean
nothing with two of them competing for two cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.cases import Case, Planned, catalog
from tests.hostile.runner import command_label, describe, problems, run_case

NORMAL_LIMITS = {"timeout": 60.0, "memory_limit_mb": 1500}
HEAVY_LIMITS = {"timeout": 120.0, "memory_limit_mb": 4000}

# The names and tags, for collection; the files are written under the session's directory when first needed.
_CATALOG = catalog(Path("unused"))


def _params():
    for item in _CATALOG:
        case = item.case
        runs = [("lint", ()), ("prepare", ())]
        if "pii" in case.tags:
            runs.append(("prepare", ("--pii", "keep")))
        for command, extra in runs:
            quick = case.quick and (command == "lint" or "quick-prepare" in case.tags)
            marks = () if quick else (pytest.mark.slow,)
            run_id = f"{case.name}-{command_label(command, extra).replace(' --pii ', '-pii-')}"
            yield pytest.param(case.name, command, extra, id=run_id, marks=marks)


class _Cases:
    """The session's cases, each written once, when a test first asks for it: the quick run then never writes
    the gigabyte gzip bombs, and the slow run writes each case once for all of its commands."""

    def __init__(self, root: Path) -> None:
        self._planned: dict[str, Planned] = {item.case.name: item for item in catalog(root)}
        self._written: dict[str, Case] = {}

    def get(self, name: str) -> Case:
        if name not in self._written:
            self._written[name] = self._planned[name].materialize()
        return self._written[name]


@pytest.fixture(scope="session")
def hostile_cases(tmp_path_factory) -> _Cases:
    return _Cases(tmp_path_factory.mktemp("hostile-cases"))


@pytest.mark.parametrize(("name", "command", "extra"), list(_params()))
def test_hostile_input(name: str, command: str, extra: tuple[str, ...], hostile_cases: _Cases, tmp_path: Path) -> None:
    case = hostile_cases.get(name)
    if case.skip_reason:
        pytest.skip(case.skip_reason)
    limits = HEAVY_LIMITS if case.heavy else NORMAL_LIMITS
    outcome = run_case(case, command, tmp=tmp_path, extra_args=extra, **limits)
    assert problems(outcome) == [], describe(outcome)


def test_catalog_is_large_stable_and_well_formed() -> None:
    """The generator's own contract: enough cases, unique kebab-case names (checked in catalog()), the same list
    on every call, and a quick subset of the intended size."""
    names = [item.case.name for item in _CATALOG]
    assert len(names) >= 320
    assert names == [item.case.name for item in catalog(Path("elsewhere"))]
    quick = [item.case for item in _CATALOG if item.case.quick]
    assert 5 <= len(quick) <= 12
    assert not any(case.heavy for case in quick)
    assert all(case.pii_values for case in (item.case for item in _CATALOG) if "pii" in case.tags)
