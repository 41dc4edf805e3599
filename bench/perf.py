#!/usr/bin/env python
"""prep lint's speed and memory against the tokenisation floor and a straightforward implementation, in one run.

    python bench/perf.py --size-mb 200                 # generates /tmp/prep-bench/bench200.jsonl first if missing
    python bench/perf.py --file data.jsonl [--models llama3-8b all] [--sample-mb 20] [--no-naive] [--json OUT]

Every measurement is a fresh subprocess (peak RSS is that process's ``VmHWM``; no cache carries over):

1. **tokenisation floor**: read the file with prep's reader, load each tokenizer (timed apart), then count the
   tokens of every prompt and completion with the family's batch API on both cores (``Tokenizer.count``: tiktoken
   on two threads, sentencepiece with ``num_threads=2``). This is the obvious design's cost, measured on the same
   file in the same run: llama3 for one Llama 3 model, llama3 + mistral-v1 for ``--model all``.
2. **prep lint**, every rule on (PII with the default offline engine), once per ``--models`` item (default
   ``llama3-8b`` and ``all``): ``prep.lint(path, models=...)`` from opening the file to the result with the
   model-fit table (``bench/lint_throughput.py``'s child), with the time of each rule. A rule's time includes
   the shared work it was first to ask for (reading is apart; normalised text, MinHash signatures and token
   counts are computed once by the first rule that needs them and reused by the others), listed beside it.
3. **straightforward implementation** (unless ``--no-naive``): on the first ``--sample-mb`` MB of the file,
   ``prep.lint(--model all)`` with the three heavy kernels swapped for the obvious loops over the same libraries
   (``bench/naive.py``: an ``encode`` call per text, ``datasketch.MinHash.update`` per shingle, presidio's
   ``analyze`` per text), against prep as it is on the same sample; the findings must be identical (compared as
   JSON, exit 1 if not).

4. **prepare against lint** (unless ``--no-prepare``): the commands as a user runs them, each a fresh process
   from start to exit: ``prep lint FILE --model M --format json`` and ``prep prepare FILE --model M --out DIR``,
   same file, model and rules (the default configuration), with their wall time, peak RSS and the ratio. The
   lint findings are kept (``--findings-out``) so two versions can be compared byte for byte.

Last comes the table of the issue's targets: 1 GB in under 60 s and 6 GB (projected linearly from this file
when it is smaller than 1 GB, and labelled so), at most half the floor, at least 20x the straightforward one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from lint_throughput import _status_kb, run_child, timeline_table

GB = 1000.0  # MB


# --- child: the tokenisation floor ------------------------------------------------------------------------------


def floor_child(path: str, families: list[str]) -> dict:
    import prep
    from prep.config import Settings
    from prep.tokenizers import get_tokenizer, thread_count

    t0 = time.perf_counter()
    source = prep.load(path, Settings())
    texts = []
    for field in ("prompt", "completion"):
        texts += source.text_rows(field)["text"].to_list()
    read_s = time.perf_counter() - t0
    out = {"read_s": round(read_s, 3), "texts": len(texts), "threads": thread_count(), "families": {}}
    for family in families:
        t = time.perf_counter()
        tokenizer = get_tokenizer(family)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        counts = tokenizer.count(texts)
        out["families"][family] = {
            "load_s": round(load_s, 3),
            "count_s": round(time.perf_counter() - t, 3),
            "tokens": int(counts.sum()),
        }
    out["peak_rss_mb"] = round(_status_kb("VmHWM") / 1024, 1)
    return out


def run_floor(path: str, families: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-floor", path, "--families", ",".join(families)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO), check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit("the tokenisation floor measurement failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- prepare against lint, as commands -------------------------------------------------------------------------


def timed_command(argv: list[str], stdout_path: str = os.devnull) -> dict:
    """Wall time and peak RSS (the child's own, from ``wait4``) of one command; its stdout goes to ``stdout_path``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    with open(stdout_path, "wb") as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=str(REPO))
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped by wait4
        if code not in (0, 1):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
            raise SystemExit(f"{' '.join(argv)} exited {code}")
    return {"wall_s": round(wall, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "exit": code}


def prepare_vs_lint(path: str, model: str, findings_out: str | None) -> dict:
    cli = [sys.executable, "-c", "import sys; from prep.cli import main; sys.exit(main())"]
    with tempfile.TemporaryDirectory() as tmp:
        report = findings_out or os.path.join(tmp, "lint.json")
        lint = timed_command([*cli, "lint", path, "--model", model, "--format", "json", "--no-progress"], report)
        out = os.path.join(tmp, "out")
        prepare = timed_command([*cli, "prepare", path, "--model", model, "--out", out, "--no-progress"])
        counts = json.loads(Path(out, "manifest.json").read_text())["counts"]
    return {"model": model, "lint": lint, "prepare": prepare, "ratio": round(prepare["wall_s"] / lint["wall_s"], 3),
            "counts": counts}


# --- the parent ----------------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_file(args) -> str:
    if args.file:
        path = Path(args.file).resolve()
        if not path.is_file():
            raise SystemExit(f"no such file: {path}")
        return str(path)
    path = Path(args.out_dir) / f"bench{args.size_mb:g}.jsonl"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        _log(f"generating {path} ({args.size_mb:g} MB) ...")
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), "--size-mb", str(args.size_mb), "--out", str(path)],
            check=True,
            cwd=str(REPO),
        )
    return str(path)


def head_sample(path: str, mb: float, out: str) -> int:
    """The first ``mb`` MB of whole lines of a JSON Lines file; returns the bytes written."""
    limit, written = int(mb * 1e6), 0
    with open(path, "rb") as src, open(out, "wb") as dst:
        for line in src:
            if written >= limit:
                break
            dst.write(line)
            written += len(line)
    return written


def families_of(models: list[str]) -> list[str]:
    from prep.catalog import load_catalog

    catalog = load_catalog()
    names = list(catalog) if "all" in models else models
    return list(dict.fromkeys(catalog[name].tokenizer for name in names))


def rule_rows(run: dict) -> list[tuple[str, float, float, list[str]]]:
    """(rule or phase, seconds, peak RSS growth MB, shared stages included) in run order."""
    rows: list[list] = []
    for label, seconds, grew in run["stages"]:
        is_rule = len(label) > 5 and label[:2].isalpha() and label[2:5].isdigit() and label[5] == " "
        if label.startswith("reading "):  # prep's own "reading" message: part of reading the file
            label = "read train file" if "train" in label else label
        if rows and label == rows[-1][0]:
            rows[-1][1] += seconds
            rows[-1][2] += grew
        elif is_rule or not rows or label.startswith(("read ", "setup", "model fit")):
            rows.append([label, seconds, grew, []])
        else:  # shared work, computed here for the rule that asked first
            rows[-1][1] += seconds
            rows[-1][2] += grew
            if label not in rows[-1][3]:
                rows[-1][3].append(label)
    return [tuple(r) for r in rows]


def _short(stage: str, name: str) -> str:
    for word in (f" of {name}", f" {name}"):
        stage = stage.replace(word, "")
    return stage


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size-mb", type=float, default=200, help="generate a file of this size (default 200)")
    p.add_argument("--file", help="measure this file instead of a generated one")
    p.add_argument("--out-dir", default=os.path.join(tempfile.gettempdir(), "prep-bench"),
                   help="where generated files are kept (default /tmp/prep-bench)")
    p.add_argument("--models", nargs="+", default=["llama3-8b", "all"], help="model selections, one lint run each")
    p.add_argument("--sample-mb", type=float, default=20, help="sample for the straightforward comparison")
    p.add_argument("--no-naive", dest="naive", action="store_false", help="skip the straightforward comparison")
    p.add_argument("--json", metavar="OUT", help="write every raw measurement to this JSON file")
    p.add_argument("--no-prepare", dest="prepare", action="store_false", help="skip prepare against lint")
    p.add_argument("--findings-out", metavar="OUT", help="keep the JSON report of the prepare-against-lint lint run")
    p.add_argument("--keep-findings", metavar="DIR",
                   help="keep each lint run's findings as DIR/<selection>.json (to compare two versions)")
    p.add_argument("--child-floor", help=argparse.SUPPRESS)
    p.add_argument("--families", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child_floor:
        print(json.dumps(floor_child(args.child_floor, args.families.split(","))))
        return 0

    path = ensure_file(args)
    name = os.path.basename(path)
    size_mb = os.path.getsize(path) / 1e6
    all_families = families_of(["all"])
    _log("tokenisation floor ...")
    floor = run_floor(path, all_families)
    runs = {}
    for selection in args.models:
        _log(f"prep lint --model {selection} ...")
        kept = None
        if args.keep_findings:
            os.makedirs(args.keep_findings, exist_ok=True)
            kept = os.path.join(args.keep_findings, f"{selection}.json")
        runs[selection] = run_child(path, selection.split(","), render=False, findings_out=kept)
    comparison = None
    if args.naive:
        with tempfile.TemporaryDirectory() as tmp:
            sample = os.path.join(tmp, "sample.jsonl")
            sample_mb = head_sample(path, args.sample_mb, sample) / 1e6
            comparison = {"mb": sample_mb}
            for impl in ("prep", "straightforward"):
                _log(f"{impl} on the first {sample_mb:.1f} MB, --model all ...")
                out = os.path.join(tmp, f"{impl}.json")
                comparison[impl] = run_child(sample, ["all"], render=False, naive=impl != "prep", findings_out=out)
                comparison[impl + "_findings"] = json.loads(Path(out).read_text())

    versus = None
    if args.prepare:
        model = next((m for m in args.models if m != "all" and "," not in m), "llama3-8b")
        _log(f"prep lint and prep prepare --model {model}, as commands ...")
        versus = prepare_vs_lint(path, model, args.findings_out)

    rows = next(iter(runs.values()))["rows"] if runs else floor["texts"] // 2
    print(f"\nfile: {path} ({size_mb:,.1f} MB, {rows:,} rows); python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cpus\n")

    def floor_s(families: list[str]) -> float:
        return sum(floor["families"][f]["count_s"] for f in families)

    print("| run | wall s | MB/s | rows/s | peak RSS MB | / floor |")
    print("|---|---:|---:|---:|---:|---:|")
    for family in all_families:
        s = floor["families"][family]["count_s"]
        print(f"| tokenisation floor: {family} (batch, {floor['threads']} threads) | {s:.2f} | {size_mb / s:.1f} | "
              f"{rows / s:,.0f} | {floor['peak_rss_mb']:,.0f} | |")
    if len(all_families) > 1:
        s = floor_s(all_families)
        print(f"| tokenisation floor: all families | {s:.2f} | {size_mb / s:.1f} | {rows / s:,.0f} | | |")
    for selection, run in runs.items():
        wall = run["lint_s"]
        fam = families_of(selection.split(","))
        print(f"| prep lint --model {selection}, all rules | {wall:.2f} | {size_mb / wall:.1f} | {rows / wall:,.0f} | "
              f"{run['peak_rss_mb']:,.0f} (worker {run.get('worker_peak_rss_mb', 0):,.0f}) | {wall / floor_s(fam):.2f} |")
    print(f"\nfloor = counting every prompt and completion once per tokenizer family the selection needs, after "
          f"reading ({floor['read_s']:.1f} s) and loading the tokenizers, which it leaves out; "
          f"/ floor = prep's wall time over that floor. peak RSS is the process's high-water mark; (worker) is the "
          f"largest PII worker's, a forked process that shares most of its pages with the main one.")

    for selection, run in runs.items():
        wall = run["lint_s"]
        print(f"\n### prep lint --model {selection}: per rule ({len(run['resolved_models'])} models, "
              f"{run['findings']:,} findings)\n")
        print("| rule / phase | s | MB/s | rows/s | share | peak RSS growth MB | includes |")
        print("|---|---:|---:|---:|---:|---:|---|")
        quick = [r for r in rule_rows(run) if r[1] < 0.01]
        for label, seconds, grew, shared in rule_rows(run):
            if seconds < 0.01:
                continue
            speed = f"{size_mb / seconds:,.0f}" if seconds > 0.001 else "-"
            rate = f"{rows / seconds:,.0f}" if seconds > 0.001 else "-"
            print(f"| {label} | {seconds:.2f} | {speed} | {rate} | {100 * seconds / wall:.1f}% | {grew:,.0f} | "
                  f"{'; '.join(_short(s, name) for s in shared)} |")
        if quick:
            print(f"| {len(quick)} more, under 0.01 s each ({', '.join(r[0].split()[0] for r in quick)}) | "
                  f"{sum(r[1] for r in quick):.2f} | | | | | |")

    for selection, run in runs.items():
        lines = timeline_table(run)
        if lines:
            print(f"\n### prep lint --model {selection}: wall-clock timeline (which stage runs when, on how many "
                  f"cores)\n")
            print("\n".join(lines))

    same = True
    if comparison:
        fast, slow = comparison["prep"], comparison["straightforward"]
        same = comparison["prep_findings"] == comparison["straightforward_findings"]
        speedup = slow["lint_s"] / fast["lint_s"]
        comparison["identical"], comparison["speedup"] = same, speedup
        print(f"\n### straightforward implementation, first {comparison['mb']:.1f} MB ({fast['rows']:,} rows), "
              f"--model all\n")
        print("| implementation | wall s | MB/s | peak RSS MB | findings |")
        print("|---|---:|---:|---:|---:|")
        for label, run in (("straightforward (bench/naive.py)", slow), ("prep", fast)):
            print(f"| {label} | {run['lint_s']:.2f} | {comparison['mb'] / run['lint_s']:.2f} | "
                  f"{run['peak_rss_mb']:,.0f} | {run['findings']:,} |")
        calls = ", ".join(f"{v:,} x {k}" for k, v in (slow.get("naive_calls") or {}).items())
        print(f"\nspeed-up {speedup:.1f}x; findings identical: {'yes' if same else 'NO'}; the straightforward run made "
              f"{calls or 'NO straightforward kernel calls'}")
        if not same:
            a = {json.dumps(f, sort_keys=True) for f in comparison["prep_findings"]}
            b = {json.dumps(f, sort_keys=True) for f in comparison["straightforward_findings"]}
            for f in sorted(a - b)[:5]:
                print(f"  only prep: {f[:300]}")
            for f in sorted(b - a)[:5]:
                print(f"  only straightforward: {f[:300]}")
        for impl in ("prep", "straightforward"):
            del comparison[impl + "_findings"]

    if versus:
        lint, prep_ = versus["lint"], versus["prepare"]
        print(f"\n### prepare against lint, --model {versus['model']}, as commands (start to exit)\n")
        print("| command | wall s | MB/s | peak RSS MB |")
        print("|---|---:|---:|---:|")
        for label, run in (("prep lint --format json", lint), ("prep prepare --out DIR", prep_)):
            print(f"| {label} | {run['wall_s']:.2f} | {size_mb / run['wall_s']:.1f} | {run['peak_rss_mb']:,.0f} |")
        counts = versus["counts"]
        print(f"\nprepare / lint = {versus['ratio']:.2f}x (target at most 1.3x: "
              f"{'met' if versus['ratio'] <= 1.3 else 'NOT met'}); prepare wrote "
              f"{counts.get('train', '?'):,} train, {counts.get('validation', '?'):,} validation and "
              f"{counts.get('excluded', '?'):,} excluded rows")

    if "all" in runs:
        run = runs["all"]
        wall, peak = run["lint_s"], run["peak_rss_mb"]
        scale = GB / size_mb
        label = "measured" if size_mb >= 0.99 * GB else f"projected x{scale:.1f} from {size_mb:,.0f} MB"
        ratio = wall / floor_s(all_families)
        print("\n### targets (--model all, all rules, 2 cores)\n")
        print("| target | measured | met |")
        print("|---|---|---|")
        print(f"| 1 GB in under 60 s | {wall * scale:.0f} s ({label}) | {'yes' if wall * scale < 60 else 'no'} |")
        base = run["rss_after_import_mb"]
        projected = peak if scale <= 1 else base + (peak - base) * scale
        note = label if scale <= 1 else f"{label}: {base:,.0f} MB after import + the growth above it, scaled"
        print(f"| 1 GB under 6 GB peak RSS | {projected:,.0f} MB ({note}) | {'yes' if projected < 6000 else 'no'} |")
        print(f"| at most half the tokenisation floor | {ratio:.2f} x floor | {'yes' if ratio <= 0.5 else 'no'} |")
        if comparison:
            print(f"| at least 20x the straightforward implementation, same findings | {comparison['speedup']:.1f}x, "
                  f"{'identical' if same else 'DIFFERENT'} | {'yes' if comparison['speedup'] >= 20 and same else 'no'} |")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"file": path, "size_mb": size_mb, "floor": floor, "runs": runs, "comparison": comparison,
             "prepare_vs_lint": versus}, indent=1))
        print(f"\nraw measurements: {args.json}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
