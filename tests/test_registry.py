"""The rule pack documents itself, and codes and names are stable and unique."""

from __future__ import annotations

import dataclasses
import re

import pytest

from prep.errors import ConfigError
from prep.engine.pack import all_rules, lookup, select
from prep.engine.rule import NoOptions

SECTIONS = ("## What it does", "## Why is this bad?", "## Example")

# Codes and names are stable from issue 2 on: renaming one breaks users' configs and baselines.
STABLE = {
    "IO001": "unreadable-record",
    "SC001": "missing-column",
    "SC002": "null-value",
    "SC003": "empty-value",
    "SC004": "non-text-value",
    "TX001": "broken-text",
    "TX002": "template-token",
    "TX003": "unfilled-placeholder",
    "TX004": "missing-context",
    "TK001": "prompt-over-budget",
    "TK002": "completion-over-budget",
    "SZ001": "data-over-cap",
    "SZ002": "rows-over-limit",
    "SZ003": "too-few-rows",
    "DU001": "exact-duplicate",
    "DU003": "conflicting-completions",
}


def test_stable_codes_and_names():
    rules = {r.code: r.name for r in all_rules()}
    for code, name in STABLE.items():
        assert rules.get(code) == name


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_documents_itself(rule):
    doc = rule.documentation()
    assert rule.summary() and not rule.summary().startswith("#")
    for section in SECTIONS:
        assert section in doc, f"{rule.code} lacks '{section}'"
    has_options = rule.Options is not NoOptions and dataclasses.fields(rule.Options)
    if has_options:
        assert "## Options" in doc, f"{rule.code} has options but no '## Options' section"
        for f in dataclasses.fields(rule.Options):
            assert f"`{f.name.replace('_', '-')}`" in doc, f"{rule.code} does not document option {f.name}"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_module_is_named_after_code_and_name(rule):
    expected = f"prep.rules.{rule.code.lower()}_{rule.name.replace('-', '_')}"
    assert rule.__module__ == expected


def test_selection_by_code_name_and_prefix():
    assert [r.code for r in select(["TK"], [])] == ["TK001", "TK002"]
    assert [r.code for r in select(["ALL"], ["SC", "TX", "TK", "SZ", "DU", "IO", "LK", "PI", "LB"])] == []
    assert [r.code for r in select(["empty-value", "SZ00"], ["SZ002"])] == ["SC003", "SZ001", "SZ003"]
    assert lookup("too-few-rows").code == "SZ003"
    with pytest.raises(ConfigError, match="did you mean 'exact-duplicate'"):
        lookup("exact-duplicates")


def test_codes_are_two_letters_and_three_digits():
    assert all(re.fullmatch(r"[A-Z]{2}\d{3}", r.code) for r in all_rules())


def test_readme_rule_table_lists_every_rule():
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for rule in all_rules():
        row = f"| {rule.code} | {rule.name} | {rule.severity.value} |"
        assert row in readme, f"README's rule table lacks {row}"
        assert f"`{rule.__module__.removeprefix('prep.').replace('.', '/')}.py`" in readme  # the repository's folder
