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
    assert "Justin.M@remote.com" not in page and "555-0132" not in page
    for chart in ("tokens-llama3-prompt", "tokens-mistral-v1-completion", "labels", "findings", "clusters", "pii"):
        assert f'id="{chart}"' in page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_charts_render_in_headless_chromium(report, tmp_path):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    check = re.search(r'<pre id="render-check">([^<]*)</pre>', dom)
    assert check and check.group(1), dom[-2000:]
    charts = {c["id"]: c for c in json.loads(check.group(1).replace("&quot;", '"'))}
    assert set(charts) == {"tokens-llama3-prompt", "tokens-llama3-completion", "tokens-mistral-v1-prompt",
                           "tokens-mistral-v1-completion", "labels", "findings", "clusters", "pii"}
    for chart in charts.values():
        assert chart["width"] > 300 and chart["height"] > 100, chart
        assert chart["drawn"] >= 1, chart  # bars with a real height on screen
    assert charts["tokens-llama3-prompt"]["budgets"] == 3  # 6,144 (8b, 70b), 12,288 (3.1-70b), 20,480 (3.1-8b)
    assert charts["labels"]["drawn"] == 4 and charts["pii"]["drawn"] == 2
    subprocess.run([CHROMIUM, *flags, "--window-size=800,2600", f"--screenshot={tmp_path / 'report.png'}",
                    report.as_uri()], capture_output=True, timeout=120, check=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
