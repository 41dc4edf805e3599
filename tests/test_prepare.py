"""prep prepare: conservation, determinism, stratification (hypothesis), policies, atomic writes, re-lint."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import prep
from prep.config import Settings
from prep.prepare import PrepareFailed, PrepareOptions, prepare
from tests.conftest import REPO, SAMPLE, write_jsonl

SETTINGS = Settings(models=("llama3-8b",))


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _outputs(out: Path) -> tuple[list[dict], list[dict], list[dict]]:
    return _read(out / "train.jsonl"), _read(out / "validation.jsonl"), _read(out / "excluded.jsonl")


def _bytes(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("train.jsonl", "validation.jsonl", "excluded.jsonl", "manifest.json")}


# --- random datasets ------------------------------------------------------------------------------------------


@st.composite
def datasets(draw):
    """(records, unique): empty, single-class, all-duplicate and mixed datasets of support-style rows."""
    n = draw(st.integers(0, 40))
    kind = draw(st.sampled_from(["unique", "duplicates", "all-duplicate"]))
    classes = draw(st.sampled_from([["Roaming fees"], ["Roaming fees", "Lost phone"], ["A", "B", "C", "D"]]))
    records = []
    for i in range(n):
        label = draw(st.sampled_from(classes))
        if kind == "unique":
            prompt = f"ticket w{i}x about w{i}y and w{i}z"
        elif kind == "duplicates":
            prompt = draw(st.sampled_from(["my bill is wrong", "my phone was stolen", f"ticket w{i}x w{i}y"]))
        else:
            prompt, label = "the same ticket every time", classes[0]
        records.append({"prompt": prompt, "completion": label})
    return records, kind == "unique"


def _prepare(records, out: Path, **options) -> dict:
    frame = pl.DataFrame(records, schema={"prompt": pl.String, "completion": pl.String})
    return prepare(frame, out, settings=SETTINGS, options=PrepareOptions(**options)).manifest


_EXAMPLES = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@settings(max_examples=12, **_EXAMPLES)
@given(datasets(), st.sampled_from([0.1, 0.2, 0.5]), st.integers(0, 3))
def test_conservation_determinism_and_stratification(tmp_path_factory, data, fraction, seed):
    _conservation_determinism_and_stratification(tmp_path_factory, data, fraction, seed)


@pytest.mark.slow
@settings(max_examples=60, **_EXAMPLES)
@given(datasets(), st.sampled_from([0.1, 0.2, 0.5]), st.integers(0, 3))
def test_conservation_determinism_and_stratification_many_examples(tmp_path_factory, data, fraction, seed):
    """The same properties on five times the examples (CI runs it; the quick run takes the first test)."""
    _conservation_determinism_and_stratification(tmp_path_factory, data, fraction, seed)


def _conservation_determinism_and_stratification(tmp_path_factory, data, fraction, seed):
    records, unique = data
    base = tmp_path_factory.mktemp("prep")
    manifest = _prepare(records, base / "a", validation_fraction=fraction, seed=seed)
    train, validation, excluded = _outputs(base / "a")

    # conservation: every row is in exactly one file, with its content
    assert len(train) + len(validation) + len(excluded) == len(records) == manifest["counts"]["input_rows"]
    assert len({e["row"] for e in excluded}) == len(excluded)
    pairs = Counter((r["prompt"], r["completion"]) for r in records)
    assert Counter((r["prompt"], r["completion"]) for r in train + validation + excluded) == pairs

    # determinism: the same input gives the same bytes
    _prepare(records, base / "b", validation_fraction=fraction, seed=seed)
    assert _bytes(base / "a") == _bytes(base / "b")

    # the split depends on content, not on order (all duplicates kept, so no "first row kept" choice is involved)
    shuffled = records[:]
    random.Random(seed).shuffle(shuffled)
    _prepare(records, base / "c", validation_fraction=fraction, seed=seed, duplicates="keep-all")
    _prepare(shuffled, base / "d", validation_fraction=fraction, seed=seed, duplicates="keep-all")
    def key(r):
        return r["prompt"], r["completion"]

    assert sorted(map(key, _outputs(base / "c")[1])) == sorted(map(key, _outputs(base / "d")[1]))

    # stratification: per class, round(fraction x rows) in validation, never the class's last training row
    if unique:
        label_like = manifest["labels"]["label_like"]
        strata = Counter(r["completion"] if label_like else "" for r in records)
        got = Counter(r["completion"] if label_like else "" for r in validation)
        for stratum, n in strata.items():
            assert got[stratum] == min(int(n * fraction + 0.5), n - 1), (stratum, n)
    # duplicates: exact copies never straddle the split
    assert not {key(r) for r in train} & {key(r) for r in validation}


def test_empty_single_class_and_all_duplicate_inputs(tmp_path):
    assert _prepare([], tmp_path / "empty")["counts"] == {
        "input_rows": 0, "train": 0, "validation": 0, "excluded": 0, "excluded_by_reason": {}, "redacted_rows": 0
    }
    same = [{"prompt": "the same ticket", "completion": "Roaming fees"}] * 12
    counts = _prepare(same, tmp_path / "same")["counts"]
    assert (counts["train"], counts["validation"], counts["excluded"]) == (1, 0, 11)
    assert counts["excluded_by_reason"] == {"DU001": 11}
    single = [{"prompt": f"ticket w{i}x w{i}y", "completion": "Roaming fees"} for i in range(20)]
    manifest = _prepare(single, tmp_path / "single")
    assert manifest["labels"]["label_like"] and manifest["labels"]["validation"] == {"Roaming fees": 2}


# --- real data, policies and re-linting --------------------------------------------------------------------------


def test_sample_prepares_cleanly_and_relints_without_errors_or_leaks(tmp_path, run_cli):
    out = tmp_path / "out"
    code, stdout, _ = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", out)
    assert code == 0, stdout
    assert "of 153 input rows" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["excluded_by_reason"]["IO001"] == 1  # the cut-off JSON line is accounted for
    assert manifest["counts"]["excluded_by_reason"]["PI001"] == 1
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    assert manifest["version"] == prep.__version__ and manifest["lint"]["by_code"]["TK001"] == 1
    excluded = _read(out / "excluded.jsonl")
    unreadable = next(e for e in excluded if e["reasons"] == ["IO001"])
    assert unreadable["row"] == 90 and unreadable["line"] == 91 and unreadable["prompt"] is None
    pii_row = next(e for e in excluded if "PI001" in e["reasons"])
    assert pii_row["redacted"] and "[EMAIL_ADDRESS]" in pii_row["prompt"] and "@remote.com" not in pii_row["prompt"]
    for name, info in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"]

    result = prep.lint(out / "train.jsonl", validation=out / "validation.jsonl", settings=SETTINGS)
    assert [f for f in result.findings if f.code == "LK001" or f.severity.value == "error"] == []
    labels = manifest["labels"]
    assert labels["label_like"] and set(labels["validation"]) == set(labels["train"])


def test_pii_policies(tmp_path):
    records = [{"prompt": f"ticket w{i}x w{i}y", "completion": "ok"} for i in range(10)]
    records.append({"prompt": "reach me at ann.lee@acme-mail.com", "completion": "ok"})
    dropped = _prepare(records, tmp_path / "drop")
    assert dropped["counts"]["excluded_by_reason"] == {"PI001": 1}
    redacted = _prepare(records, tmp_path / "redact", pii="redact")
    assert redacted["counts"]["excluded"] == 0 and redacted["counts"]["redacted_rows"] == 1
    texts = (tmp_path / "redact" / "train.jsonl").read_text() + (tmp_path / "redact" / "validation.jsonl").read_text()
    assert "reach me at [EMAIL_ADDRESS]" in texts and "ann.lee" not in texts
    kept = _prepare(records, tmp_path / "keep", pii="keep")
    assert kept["counts"]["excluded"] == 0


def test_errors_policies(tmp_path, run_cli):
    records = [{"prompt": f"ticket w{i}x w{i}y", "completion": "ok"} for i in range(10)] + [{"prompt": "x", "completion": ""}]
    assert _prepare(records, tmp_path / "ex")["counts"]["excluded_by_reason"] == {"SC003": 1}
    assert _prepare(records, tmp_path / "keep", errors="keep")["counts"]["excluded"] == 0
    with pytest.raises(PrepareFailed, match="1 error findings \\(SC003 1\\); nothing written"):
        _prepare(records, tmp_path / "fail", errors="fail")
    assert not (tmp_path / "fail").exists()
    path = write_jsonl(tmp_path / "d.jsonl", records)
    code, _, err = run_cli("prepare", path, "--model", "llama3-8b", "--out", tmp_path / "cli", "--errors", "fail")
    assert code == 1 and err.startswith("prep: error: 1 error findings")


def test_existing_validation_file_is_filtered_not_split(tmp_path):
    train = write_jsonl(tmp_path / "t.jsonl", [{"prompt": f"ticket w{i}x w{i}y", "completion": "A" if i % 2 else "B"} for i in range(20)])
    validation = write_jsonl(tmp_path / "v.jsonl", [
        {"prompt": "ticket w3x w3y", "completion": "A"},     # leaks from training
        {"prompt": "a new ticket here", "completion": "C"},  # a label never seen in training
        {"prompt": "another fresh ticket", "completion": "B"},
    ])
    result = prepare(train, tmp_path / "out", validation=validation, settings=SETTINGS)
    assert result.counts["train"] == 20 and result.counts["validation"] == 1
    assert result.counts["excluded_by_reason"] == {"LB003": 1, "LK001": 1}
    assert {e["source"] for e in _read(tmp_path / "out" / "excluded.jsonl")} == {"validation"}


def test_output_directory_rules(tmp_path, run_cli):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("x")
    code, _, err = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", out)
    assert code == 2 and "not empty; use --force" in err
    code, _, err = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", out, "--force")
    assert code == 2 and "old.txt" in err and "prep did not write" in err  # --force replaces only prep's own output
    assert (out / "old.txt").read_text() == "x"
    (out / "old.txt").unlink()
    code, _, _ = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", out)
    code, _, _ = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", out, "--force", "--seed", "1")
    assert code == 0 and sorted(p.name for p in out.iterdir()) == [
        "excluded.jsonl", "manifest.json", "train.jsonl", "validation.jsonl"
    ]
    assert json.loads((out / "manifest.json").read_text())["options"]["seed"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging or old directory left
    code, _, err = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", tmp_path / "x", "--validation-fraction", "0.9")
    assert code == 2 and "validation fraction must be from 0 to 0.5" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli("prepare", SAMPLE, "--model", "llama3-8b", "--out", blocker / "sub" / "out")
    assert code == 2 and err.startswith("prep: error: ") and "cannot write the output directory" in err


# --- --force never deletes what prep did not write -----------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_force_refuses_a_directory_holding_the_input_or_other_files(tmp_path, run_cli, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    tickets = data / "tickets.jsonl"
    tickets.write_bytes(SAMPLE.read_bytes())
    (data / "NOTES.md").write_text("my notes")
    before = _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    for out in (data, "data", tmp_path, ".", "data/.."):
        code, _, err = run_cli("prepare", tickets, "--model", "llama3-8b", "--out", out, "--force")
        assert code == 2 and err.startswith("prep: error: ") and err.count("\n") == 1, (out, err)
        assert _tree(tmp_path) == before, out  # nothing deleted, nothing added
        assert not [p for p in tmp_path.rglob(".*prep-*")], out  # no staging or old directory left behind
    # a directory prep wrote, whose train.jsonl is the input, is not replaced either
    code, _, _ = run_cli("prepare", tickets, "--model", "llama3-8b", "--out", tmp_path / "out")
    assert code == 0
    written = _tree(tmp_path / "out")
    code, _, err = run_cli("prepare", tmp_path / "out" / "train.jsonl", "--model", "llama3-8b", "--out", "out", "--force")
    assert code == 2 and "input" in err and _tree(tmp_path / "out") == written
    # a manifest that is not prep's does not make a directory replaceable
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text('{"tool": "something else"}')
    code, _, err = run_cli("prepare", tickets, "--model", "llama3-8b", "--out", other, "--force")
    assert code == 2 and (other / "manifest.json").exists()


_CRASH = r"""
import os, signal, sys
from pathlib import Path
import prep.prepare.output as p

step = int(sys.argv[1]); calls = [0]

def dying(fn):
    def wrapper(*args, **kwargs):
        result = fn(*args, **kwargs)
        calls[0] += 1
        if calls[0] == step:
            os.kill(os.getpid(), signal.SIGKILL)  # the process dies right after this file-system step
        return result
    return wrapper

# every call that moves or deletes directories, wherever prepare makes it
os.rename = dying(os.rename)
os.replace = dying(os.replace)
p.shutil.rmtree = dying(p.shutil.rmtree)  # (the shutil module itself: every caller)
for name in ("_exchange",):
    if hasattr(p, name):
        setattr(p, name, dying(getattr(p, name)))
from prep.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.slow  # three processes, each loading the engine
def test_a_kill_during_a_forced_replace_leaves_the_old_or_the_new_output(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["prepare", str(SAMPLE), "--model", "llama3-8b", "--select", "SC,IO", "--out", str(out)]
    subprocess.run([sys.executable, "-c", _CRASH, "0", *args], check=True, env=env, capture_output=True)
    old = _tree(out)
    seen = set()
    for step in range(1, 12):
        done = subprocess.run([sys.executable, "-c", _CRASH, str(step), *args, "--force", "--seed", str(step)],
                              env=env, capture_output=True)
        assert out.is_dir(), f"output directory absent after a kill at step {step}"
        assert _complete_or_absent(out) == "complete"
        now = _tree(out)
        seen.add("old" if now == old else "new")
        if done.returncode == 0:
            break
        old = now
    assert "new" in seen and done.returncode == 0


# --- atomicity ----------------------------------------------------------------------------------------------


def _complete_or_absent(out: Path) -> str:
    if not out.exists():
        return "absent"
    manifest = json.loads((out / "manifest.json").read_text())
    for name, info in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"], name
    return "complete"


@pytest.mark.slow  # seven prepare runs of 20,000 rows, killed at different moments
def test_killing_prepare_never_leaves_a_partial_output(tmp_path):
    rng = random.Random(7)
    words = "bill roaming charge phone stolen slow data line account close refund trip".split()
    records = [
        {"prompt": " ".join(rng.choice(words) for _ in range(30)) + f" ticket {i}", "completion": rng.choice(words)}
        for i in range(20_000)
    ]
    path = write_jsonl(tmp_path / "big.jsonl", records)
    command = [sys.executable, "-m", "prep.cli", "prepare", str(path), "--model", "llama3-8b", "--select", "DU,LK,SC"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    started = time.perf_counter()
    subprocess.run([*command, "--out", str(tmp_path / "full")], check=True, env=env, capture_output=True)
    runtime = time.perf_counter() - started
    assert _complete_or_absent(tmp_path / "full") == "complete"

    outcomes = []
    for k, share in enumerate([0.3, 0.6, 0.8, 0.9, 0.95, 0.98, 1.0]):
        out = tmp_path / f"out{k}"
        process = subprocess.Popen([*command, "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(runtime * share)
        process.send_signal(signal.SIGKILL)
        process.wait()
        outcomes.append(_complete_or_absent(out))
    # whatever a kill leaves behind is a hidden staging directory, never a file named like an output
    assert {p.name.split(".prep-tmp-")[0] for p in tmp_path.iterdir() if p.name.startswith(".")} <= {
        f".out{k}" for k in range(7)
    }
    assert "absent" in outcomes  # the kills did land mid-run


def test_excluded_long_texts_are_written_only_as_far_as_they_were_checked(tmp_path):
    from prep.limits import SCAN_CHARS

    tail = " reach me at ann.lee@acme-mail.com"
    records = [{"prompt": f"ticket w{i}x w{i}y", "completion": "ok"} for i in range(10)]
    records.append({"prompt": "log " * (SCAN_CHARS // 4 + 10) + tail, "completion": "ok"})
    manifest = _prepare(records, tmp_path / "out")
    assert manifest["counts"]["excluded_by_reason"] == {"TK001": 1}
    (excluded,) = _read(tmp_path / "out" / "excluded.jsonl")
    assert excluded["cut"] and len(excluded["prompt"]) == SCAN_CHARS and "ann.lee" not in excluded["prompt"]
    assert excluded["prompt_chars"] == len(records[-1]["prompt"])


def test_a_chain_of_leaks_is_settled_whatever_its_length():
    """Moving a leaking validation row to training can make the next row of a near-duplicate chain leak from it.
    The re-check follows the chain to its end (it used to stop after five full checks and leave the rest
    leaking) and confirms with a full check."""
    from prep.engine import run as engine
    from prep.prepare import _settle_leaks
    from tests.oracles import leaking

    rng = random.Random(7)
    words = [f"w{rng.randrange(10**6)}" for _ in range(1400)]
    chain = []
    for step in range(7):  # each text has the next 190 words new: Jaccard 0.76 with the last, 0.57 two back
        words[step * 190 : step * 190 + 190] = [f"x{rng.randrange(10**6)}" for _ in range(190)]
        chain.append(" ".join(words))
    plan = engine.plan(SETTINGS)
    frame = pl.DataFrame({
        "source": [0] * 7, "row": list(range(7)), "prompt": chain, "completion": ["ok"] * 7,
        "split": ["train"] + ["validation"] * 6, "reasons": [[] for _ in range(7)], "messages": [[] for _ in range(7)],
    }, schema_overrides={"reasons": pl.List(pl.String), "messages": pl.List(pl.String)})
    first = leaking(frame, plan.rules, plan.models, plan.settings)
    assert first["row"].to_list() == [1]  # only the first validation row leaks at the start: it is a chain
    settled = _settle_leaks(frame, plan, from_file=False)
    assert settled["split"].to_list() == ["train"] * 7
    assert leaking(settled, plan.rules, plan.models, plan.settings).height == 0


def test_written_pairs_are_json_dumps_of_each_record_byte_for_byte():
    """train.jsonl and validation.jsonl are built by polars over whole columns; the bytes are those of
    json.dumps(record, ensure_ascii=False) per line, escapes and all, for every code point."""
    from prep.prepare import _pairs

    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]  # every code point but surrogates
    tricky = ["plain", 'quo"te\\back', "new\nline\ttab\x00\x1f\x7f", "é ü 中文 🎉", "\ufffd", "\u2028\u2029", "</script>", ""]
    tricky += ["".join(every[i : i + 997]) for i in range(0, len(every), 997)]
    frame = pl.DataFrame({"prompt": tricky, "completion": list(reversed(tricky))})
    want = "".join(json.dumps({"prompt": p, "completion": c}, ensure_ascii=False) + "\n" for p, c in frame.iter_rows())
    assert _pairs(frame) == want.encode()


def test_excluded_lines_are_json_dumps_of_each_record_byte_for_byte():
    """excluded.jsonl is built by polars over whole columns; the bytes are those of json.dumps of each record
    (escapes, missing values, redacted flags, texts cut at SCAN_CHARS, for every code point)."""
    from prep.limits import SCAN_CHARS
    from prep.prepare import Prepared
    from prep.prepare.output import jsonl

    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = ["plain", 'quo"te\\back', "new\nline\ttab\x00\x1f\x7f", "é 中文 🎉", "\u2028", "", None, "x" * (SCAN_CHARS + 5)]
    texts += ["".join(every[i : i + 997]) for i in range(0, len(every), 997)]
    n = len(texts)
    frame = pl.DataFrame({
        "source": [i % 2 for i in range(n)], "row": list(range(n)), "line": [None if i % 3 == 0 else i + 1 for i in range(n)],
        "split": ["excluded"] * n, "reasons": [["DU001"] if i % 2 else ["PI001", "TK001"] for i in range(n)],
        "messages": [[t or "none"] if i % 2 else ['a "quoted" note', t or ""] for i, t in enumerate(texts)],
        "prompt": texts, "completion": list(reversed(texts)), "redacted": [i % 4 == 0 for i in range(n)],
    }, schema_overrides={"line": pl.Int64})
    prepared = Prepared(frame=frame, manifest={"lint_sources": [{"role": "train"}, {"role": "validation"}]}, lint=None)
    want = jsonl(prepared.excluded_records())
    assert b'"cut": true' in want and b'"prompt": null' in want
    assert prepared.excluded_lines() == want
    assert Prepared(frame=frame.head(0), manifest=prepared.manifest, lint=None).excluded_lines() == b""


def test_redactions_edit_only_their_rows_and_leave_the_input_frame_as_it_was():
    """apply_redactions scatters the edited texts into the columns: the same frame as replacing them row by row,
    the input unchanged (it shares its buffers with the sources), rows already redacted stay so."""
    import random

    from prep.measures.pii.masking import Detection
    from prep.prepare.decide import apply_redactions

    rng = random.Random(3)
    texts = ["mail ann.lee@acme-mail.com now", "plain", None, "", "call me"]
    frame = pl.DataFrame({
        "source": [0] * 300 + [1] * 100, "row": list(range(300)) + list(range(100)),
        "prompt": [rng.choice(texts) for _ in range(400)], "completion": [rng.choice(texts) for _ in range(400)],
        "redacted": [i % 50 == 0 for i in range(400)],
    })
    before = frame.clone()
    email = [Detection("EMAIL_ADDRESS", 5, 26, 1.0, "a***@a***.com")]
    spans = {(s, r): {f: email for f in ("prompt", "completion") if v[f] == texts[0]}
             for s, r, v in ((s, r, {"prompt": p, "completion": c})
                             for s, r, p, c in frame.select("source", "row", "prompt", "completion").iter_rows())
             if texts[0] in (v["prompt"], v["completion"]) and rng.random() < 0.7}
    spans[(1, 500)] = {"prompt": email}  # a row the frame does not hold changes nothing
    out = apply_redactions(frame, spans)
    assert frame.equals(before)
    expected = [
        (s, r, *(("mail [EMAIL_ADDRESS] now" if f in spans.get((s, r), {}) else v) for f, v in (("prompt", p), ("completion", c))),
         red or (s, r) in spans)
        for s, r, p, c, red in before.iter_rows()
    ]
    assert out.select("source", "row", "prompt", "completion", "redacted").rows() == expected
