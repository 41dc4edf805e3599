"""Turns every YAML file in tests/rule_cases/ into tests: small passing and failing cases per rule.

A case has ``records`` (written as JSONL) or ``raw`` text with a ``suffix``; optional ``validation`` records,
``models`` (default llama3-8b) and ``settings`` (config keys as in prep.toml). ``expect`` lists the findings of the
case's rule, each a subset of {row, field, source (train/validation), model, message (substring), data (subset)};
the rule must produce exactly that many findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import prep
from prep.config import settings_from_table
from prep.engine.pack import all_rules
from tests.conftest import write_jsonl

CASES_DIR = Path(__file__).parent / "rule_cases"


def _load_cases():
    for path in sorted(CASES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            yield pytest.param(spec["rule"], case, id=f"{spec['rule']}-{case['name']}")


def _write(tmp_path: Path, stem: str, case_records, raw, suffix) -> Path:
    if raw is not None:
        path = tmp_path / f"{stem}{suffix}"
        path.write_bytes(raw.encode("utf-8") if isinstance(raw, str) else raw)
        return path
    return write_jsonl(tmp_path / f"{stem}.jsonl", case_records)


@pytest.mark.parametrize(("code", "case"), list(_load_cases()))
def test_rule_case(tmp_path, code, case):
    train = _write(tmp_path, "train", case.get("records"), case.get("raw"), case.get("suffix", ".jsonl"))
    validation = None
    if "validation" in case:
        validation = _write(tmp_path, "validation", case["validation"], None, ".jsonl")
    table = dict(case.get("settings", {}))
    table.setdefault("model", case.get("models", ["llama3-8b"]))
    table["select"] = [code]
    settings = settings_from_table(table, "case")
    result = prep.lint(train, validation=validation, settings=settings)
    got = [f for f in result.findings if f.code == code]
    expected = case["expect"]
    assert len(got) == len(expected), [f.message for f in got]
    sources = {"train": str(train), "validation": str(validation)}
    for finding, want in zip(got, expected):
        for key, value in want.items():
            if key == "source":
                assert finding.source == sources[value]
            elif key == "message":
                assert value in finding.message, finding.message
            elif key == "model":
                assert finding.data["model"] == value
            elif key == "data":
                for data_key, data_value in value.items():
                    assert finding.data[data_key] == data_value, (data_key, finding.data)
            else:
                assert getattr(finding, key) == value, (key, finding)


def test_every_rule_has_passing_and_failing_cases():
    covered: dict[str, list[int]] = {}
    for param in _load_cases():
        code, case = param.values
        covered.setdefault(code, []).append(len(case["expect"]))
    for rule in all_rules():
        counts = covered.get(rule.code)
        assert counts, f"{rule.code} has no cases in tests/rule_cases/"
        assert 0 in counts, f"{rule.code} has no passing case"
        assert any(n > 0 for n in counts), f"{rule.code} has no failing case"
