"""No raw personal data in any output: every rule's messages and data, every format, reports, baselines, prepare.

The data below puts PII where rules quote values from the data: labels (LB001 names the smallest class, LB002 a
rare label, LB003 an unseen validation label, LB004 a variant spelling), column names of a headerless CSV and JSON
keys (SC001), chat roles (SC005), and rows excluded for other reasons (excluded.jsonl, with ``--pii keep`` too).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import write_jsonl

EMAIL_LABEL = "alice.w.leak@corp-example.com"
VARIANT_LABEL = "Alice.W.Leak@corp-example.com."
PHONE_LABEL = "+1 415-555-0132"
UNSEEN_LABEL = "carol.unseen@corp-example.com"
HEADER_EMAIL = "marta.quillfeather@gmail.com"
KEY_EMAIL = "bob.secret@mail-example.org"
ROLE_EMAIL = "dave.role@corp-example.com"
CARD = "4111111111111111"
SSN = "536-90-4399"
RAW = [EMAIL_LABEL, VARIANT_LABEL, "alice.w.leak", "Alice.W.Leak", PHONE_LABEL, "415-555-0132", UNSEEN_LABEL,
       "carol.unseen", HEADER_EMAIL, "marta.quillfeather", KEY_EMAIL, "bob.secret", ROLE_EMAIL, "dave.role", CARD,
       "4111 1111", SSN]
FORMATS = ["text", "json", "github", "junit", "sarif"]


def _leaks(text: str) -> list[str]:
    return [value for value in RAW if value.lower() in text.lower()]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("leak")
    words = "bill roaming charge phone stolen slow data line account close refund trip abroad".split()
    train = []
    for i in range(60):
        label = "Roaming fees" if i % 2 else "Lost phone"
        train.append({"prompt": f"ticket {i}: " + " ".join(words[(i * k) % len(words)] for k in range(1, 9)),
                      "completion": label})
    train += [
        {"prompt": "ticket about the email label", "completion": EMAIL_LABEL},
        {"prompt": "ticket about the variant label", "completion": VARIANT_LABEL},
        {"prompt": "ticket about the phone label", "completion": PHONE_LABEL},
        # excluded for another reason (empty completion), with a card number and an SSN in its prompt
        {"prompt": f"my card {CARD} and ssn {SSN} were charged twice", "completion": ""},
        {"messages": [{"role": ROLE_EMAIL, "content": "hi"}, {"role": "assistant", "content": "hello"}]},
    ]
    validation = [{"prompt": "a ticket with a label never seen", "completion": UNSEEN_LABEL},
                  {"prompt": "another validation ticket about roaming", "completion": "Roaming fees"}]
    headerless = root / "headerless.csv"
    with open(headerless, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([f"Please reset my account, email {HEADER_EMAIL}", f"call {PHONE_LABEL}"])
        out.writerow(["Where is my order?", "It ships today."])
    return {
        "train": write_jsonl(root / "train.jsonl", train),
        "validation": write_jsonl(root / "validation.jsonl", validation),
        "headerless": headerless,
        "keys": write_jsonl(root / "keys.jsonl", [{KEY_EMAIL: "x", "answer": "y"}] * 3),
    }


def test_the_data_does_reach_the_quoting_rules(files):
    import prep

    result = prep.lint(files["train"], validation=files["validation"], models=["llama3-8b"])
    codes = {f.code for f in result.findings}
    assert {"LB001", "LB002", "LB003", "LB004", "SC003", "SC005", "PI001"} <= codes
    assert {"SC001"} <= {f.code for f in prep.lint(files["headerless"], models=["llama3-8b"]).findings}
    # the masked forms are what is shown
    lb002 = " ".join(f.message for f in result.findings if f.code == "LB002")
    assert "a***@c***.com" in lb002 and "****0132" in lb002


@pytest.mark.parametrize("output_format", FORMATS)
def test_lint_outputs_hold_no_raw_pii(files, run_cli, tmp_path, output_format):
    html = tmp_path / "report.html"
    for args in (
        [files["train"], "--validation", files["validation"]],
        [files["headerless"]],
        [files["keys"]],
    ):
        code, out, err = run_cli("lint", *args, "--model", "llama3-8b", "--format", output_format, "--html", html)
        assert code in (0, 1), err
        assert _leaks(out + err) == [], (args, output_format)
        assert _leaks(html.read_text(encoding="utf-8")) == []


def test_baseline_holds_no_raw_pii(files, run_cli, tmp_path):
    baseline = tmp_path / "baseline.json"
    for path in (files["train"], files["headerless"], files["keys"]):
        code, out, err = run_cli("lint", path, "--model", "llama3-8b", "--write-baseline", baseline)
        assert code == 0 and _leaks(out + err) == []
        assert _leaks(baseline.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("pii", ["drop", "redact", "keep"])
def test_prepare_outputs_hold_no_raw_pii_outside_kept_rows(files, run_cli, tmp_path, pii):
    out = tmp_path / "out"
    code, stdout, stderr = run_cli("prepare", files["train"], "--model", "llama3-8b", "--out", out, "--pii", pii)
    assert code == 0, stderr
    assert _leaks(stdout + stderr) == []
    for name in ("excluded.jsonl", "manifest.json"):
        assert _leaks((out / name).read_text(encoding="utf-8")) == [], name
    excluded = [json.loads(line) for line in (out / "excluded.jsonl").read_text(encoding="utf-8").splitlines()]
    charged = next(e for e in excluded if "SC003" in e["reasons"])
    assert charged["redacted"] and "[CREDIT_CARD]" in charged["prompt"] and "[US_SSN]" in charged["prompt"]
    if pii != "keep":  # with --pii keep, rows that are kept keep their text, as asked
        for name in ("train.jsonl", "validation.jsonl"):
            assert _leaks((out / name).read_text(encoding="utf-8")) == [], name


def test_terminal_control_characters_in_data_are_escaped(tmp_path, run_cli):
    path = tmp_path / "evil.csv"
    path.write_bytes(b"\x1b]0;owned\x07\x1b[31mquestion\xe2\x80\xae,answer\nhi,there\n")
    code, out, err = run_cli("lint", path, "--model", "llama3-8b")
    assert code == 1
    assert "\x1b" not in out + err and "\x07" not in out + err and "\u202e" not in out + err
    assert "\\x1b]0;owned\\x07\\x1b[31mquestion\\u202e" in out


def test_nothing_printed_can_act_on_the_terminal(tmp_path, run_cli):
    """File names and every message pass through one last escape: no ESC, BEL, C1 or bidi control is printed."""
    folder = tmp_path / "e\x1b[31mvil\u202e"
    folder.mkdir()
    path = write_jsonl(folder / "x.jsonl", [{"prompt": "a", "completion": "b"}])
    for fmt in ("text", "json", "github", "sarif"):
        code, out, err = run_cli("lint", path, "--model", "llama3-8b", "--format", fmt)
        assert code == 0 and not any(ch in out + err for ch in "\x1b\u202e\x07"), fmt
    code, _, err = run_cli("lint", folder / "missing\x1b]0;t\x07.jsonl", "--model", "llama3-8b")
    assert code == 2 and "\x1b" not in err and "\\u001b" in err
