"""The HTML report: self-contained, no PII, and its charts render in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import SAMPLE

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from prep.cli import main

    path = tmp_path_factory.mktemp("html") / "report.html"
    assert main(["lint", str(SAMPLE), "--model", "all", "--html", str(path), "--format", "json"]) == 1
    return path


def test_report_is_self_contained_and_holds_no_pii(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "<link" not in page and not re.search(r"<script[^>]+src", page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    data_part = page.split('<h2 id="rules">')[0]  # the rule docs' own examples hold made-up values
    assert "Justin.M@remote.com" not in page and "555-0132" not in data_part
    assert "\u27e8J***@r***.com\u27e9, phone \u27e8****0132\u27e9" in page  # the PII row's excerpt, masked
    for chart in ("tokens-llama3-prompt", "tokens-mistral-v1-completion", "labels", "findings", "clusters", "pii"):
        assert f'id="{chart}"' in page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_charts_render_in_headless_chromium(report, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1440,900",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    check = re.search(r'<pre id="render-check">([^<]*)</pre>', dom)
    assert check and check.group(1), dom[-2000:]
    measured = json.loads(check.group(1).replace("&quot;", '"'))
    charts = {c["id"]: c for c in measured["charts"]}
    assert measured["findings"] == 39 and measured["filtered"] == "6 of 39 shown"  # the severity filter works
    assert measured["page_width"] <= 1440  # nothing wider than a laptop window
    for chart in charts.values():
        assert chart["overlaps"] == 0 and chart["clipped"] == 0, chart  # readable labels
    assert set(charts) == {"tokens-llama3-prompt", "tokens-llama3-completion", "tokens-mistral-v1-prompt",
                           "tokens-mistral-v1-completion", "labels", "findings", "clusters", "pii"}
    for chart in charts.values():
        assert chart["width"] > 300 and chart["height"] > (100 if chart["id"].startswith("tokens") else 40), chart
        assert chart["drawn"] >= 1, chart  # bars with a real height on screen
    assert charts["tokens-llama3-prompt"]["budgets"] == 3  # 6,144 (8b, 70b), 12,288 (3.1-70b), 20,480 (3.1-8b)
    assert charts["tokens-llama3-prompt"]["over"] >= 1 and charts["tokens-mistral-v1-prompt"]["budgets"] == 1
    assert charts["labels"]["drawn"] == 4 and charts["pii"]["drawn"] == 2
    subprocess.run([CHROMIUM, *flags, f"--screenshot={tmp_path / 'report.png'}",
                    report.as_uri()], capture_output=True, timeout=120, check=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_report_sections_a_reviewer_acts_on(tmp_path):
    import hashlib

    from prep.cli import main

    train, validation = tmp_path / "train.jsonl", tmp_path / "val.jsonl"
    rows = [{"prompt": f"Question number {i} about topic {i * 7}?", "completion": f"Answer {i}."} for i in range(120)]
    train.write_text("".join(json.dumps(r) + "\n" for r in rows + [rows[5]]), encoding="utf-8")
    validation.write_text("".join(json.dumps(r) + "\n" for r in rows[:3] + [{"prompt": "new", "completion": "x"}]),
                          encoding="utf-8")
    page_path = tmp_path / "r.html"
    main(["lint", str(train), "--validation", str(validation), "--model", "llama3-8b", "--html", str(page_path), "-q"])
    page = page_path.read_text(encoding="utf-8")
    for column in ("prompt over", "completion over", "tokens cut", "data / cap", "rows / limit", "fits"):
        assert f"<th>{column}</th>" in page  # the text output's fit table
    assert "credits (estimate)" in page and "Cheapest model that fits" in page
    assert hashlib.sha256(train.read_bytes()).hexdigest() in page and "config</td><td>defaults" in page
    assert "3 of them repeat a training row (LK001)" in page  # validation and leaks, side by side
    assert page.count('<table class=pairs>') == 2
    for code in ("DU001", "LK001"):
        assert f'href="#rule-{code}"' in page and f'id="rule-{code}"' in page  # findings link to the rule's docs
    assert "<th>p50</th><th>p95</th><th>max</th>" in page


def test_excerpts_are_masked_and_short():
    from prep.reporters.html import masked_excerpt

    text = "Reach me at ann.lee@acme-mail.com or +1 (415) 555-0132, card 4111 1111 1111 1111, IP 81.2.69.160."
    excerpt = masked_excerpt(text)
    for value in ("ann.lee", "555-0132", "4111", "81.2.69.160"):
        assert value not in excerpt
    spans = [{"start": 12, "end": 33, "masked": "a***@a***.com"}]
    assert "\u27e8a***@a***.com\u27e9" in masked_excerpt(text, spans)
    assert len(masked_excerpt("word " * 200)) <= 160 and masked_excerpt("a\u202eb\x00c") == "a\ufffdb\ufffdc"
