"""The detection-quality benchmark (bench/rule_quality.py) on ../shared/data: the recall each rule's docs quote
holds, and every sampled finding has a hand verdict, so a rule change that alters what is found shows up here and
the verdicts are read again rather than going stale."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO, shared

pytestmark = pytest.mark.slow  # four real datasets linted twice: CI runs it, the quick run skips it


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    for needed in ("clinc150/clinc150_train.jsonl", "support_tickets/support_tickets.csv", "mbpp/mbpp_prompt_completion.jsonl"):
        shared(needed)
    out = tmp_path_factory.mktemp("quality") / "report.json"
    unjudged = out.with_name("unjudged.json")
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "rule_quality.py"), "--data", str(shared("clinc150").parent),
         "--json", str(out), "--dump-unjudged", str(unjudged)],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), (json.loads(unjudged.read_text()) if unjudged.exists() else [])


def by_rule(report) -> dict[str, tuple[int, int]]:
    totals: dict[str, list[int]] = {}
    for per in report["recall"].values():
        for rule, hit, total in per.values():
            totals.setdefault(rule, [0, 0])
            totals[rule][0] += hit
            totals[rule][1] += total
    return {rule: (hit, total) for rule, (hit, total) in totals.items()}


def test_recall_on_injected_defects_is_what_the_docs_quote(report):
    recall = by_rule(report[0])
    assert {"DU001", "DU002", "DU003", "LK001", "TX001", "TX003", "TX004", "PI001:CREDIT_CARD"} <= recall.keys()
    for rule, (hit, total) in recall.items():
        assert total and hit / total >= 0.95, f"{rule}: {hit}/{total}"
    for entity in ("CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER"):  # issue 17's targets: cards 0.95, phones 0.85
        hit, total = recall[f"PI001:{entity}"]
        assert hit == total, f"{entity}: {hit}/{total}"


def test_every_sampled_finding_has_a_hand_verdict(report):
    unjudged = report[1]
    assert not unjudged, f"{len(unjudged)} findings to read and judge in bench/truth/hand_checked.json, first: {unjudged[0]['key']}"


def test_the_exact_and_correspondence_findings_are_right(report):
    precision = report[0]["precision"]
    for rule, (right, judged) in precision["support_tickets"].items():
        assert right == judged, f"support_tickets {rule}: {right}/{judged}"
    for rule in ("DU002", "LK001"):  # classification: compared on prompts, so the label no longer carries them
        right, judged = precision["clinc150"][rule]
        assert right / judged >= 0.6, f"clinc150 {rule}: {right}/{judged}"
