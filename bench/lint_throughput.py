#!/usr/bin/env python
"""Throughput and peak memory of ``prep lint`` on one file, per model selection.

    python bench/lint_throughput.py /tmp/bench100.jsonl [--models llama3-8b all] [--repeat 1] [--cli] [--json OUT]

Every measurement runs in a fresh subprocess (this script with ``--child``), so the peak RSS it reports (``VmHWM``
from ``/proc/self/status``) belongs to that one run and the tokenizer caches of one run cannot speed up the next.
The child imports prep (timed and reported apart), then times ``prep.lint(path, models=[...], progress=callback)``:
the callback timestamps each stage prep announces (one per rule, one per tokenizer pass), and the child also marks
when reading the file ends and when the final model-fit table starts, by wrapping ``prep.api.load`` and
``prep.engine.run.model_fits``, and when a tokenizer is loaded by wrapping ``prep.tokenizers.get_tokenizer``
(read-only instrumentation: prep's code is not changed).

A model selection is one ``--models`` item: a catalog name, ``all``, or names joined by commas
(``llama3-8b,mistral-7b``). ``--cli`` adds an end-to-end run of the real command line (``prep lint PATH --model M
--format json``) per selection: wall time including interpreter start, imports and report rendering, and the peak
RSS of the command's process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


# --- the child: one measurement --------------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    """A ``VmHWM`` / ``VmRSS`` line of /proc/self/status, in kB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (all its threads), from /proc; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the PII workers), from /proc/<pid>/task/*/children."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


class Timeline:
    """Samples, every ``interval`` seconds, the CPU this process and its worker processes used since the last
    sample (in cores: 1.0 is one core busy all the time) and the stage prep announced last: which stage runs on
    which core when."""

    def __init__(self, stage, interval: float = 0.25) -> None:
        import threading

        self.stage, self.interval, self.samples = stage, interval, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Timeline:
        self._t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        seen: dict[int, float] = {}  # CPU seconds per worker at the last sample (a finished worker keeps its last)
        last_t, last_main, last_workers = time.perf_counter(), _cpu_seconds(me), 0.0
        while not self._stop.wait(self.interval):
            for pid in _descendants(me):
                seen[pid] = max(seen.get(pid, 0.0), _cpu_seconds(pid))
            now, main, workers = time.perf_counter(), _cpu_seconds(me), sum(seen.values())
            span = max(now - last_t, 1e-9)
            self.samples.append([round(now - self._t0, 3), self.stage(), round((main - last_main) / span, 2),
                                 round((workers - last_workers) / span, 2)])
            last_t, last_main, last_workers = now, main, workers


def child(path: str, models: list[str], render: bool, naive: bool = False, findings_out: str | None = None) -> dict:
    t0 = time.perf_counter()
    import prep
    import prep.api
    import prep.engine.run
    from prep.engine.pack import all_rules
    from prep.reporters import REPORTERS

    all_rules()  # import the rule modules here, not inside the timed run
    if naive:  # the straightforward implementation (bench/naive.py), for bench/perf.py's comparison
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import naive as naive_kernels

        naive_kernels.install()
    import_s = time.perf_counter() - t0
    rss_after_import_kb = _status_kb("VmRSS")

    marks: list[tuple[float, str, int]] = []  # (time, stage, VmHWM kB when the stage starts)
    name = os.path.basename(path)

    def progress(message: str) -> None:
        marks.append((time.perf_counter(), message.replace(path, name), _status_kb("VmHWM")))

    real_load, real_fits = prep.api.load, prep.engine.run.model_fits

    def load(data, settings, *, role="train", name=None):
        marks.append((time.perf_counter(), f"read {role} file", _status_kb("VmHWM")))
        try:
            return real_load(data, settings, role=role, name=name)
        finally:
            marks.append((time.perf_counter(), "setup (catalog, rules)", _status_kb("VmHWM")))

    def model_fits(ctx):
        marks.append((time.perf_counter(), "model fit table", _status_kb("VmHWM")))
        return real_fits(ctx)

    import prep.tokenizers as tokenizers

    real_get = tokenizers.get_tokenizer

    def get_tokenizer(family):
        if family in tokenizers._CACHE:
            return real_get(family)
        resume = marks[-1][1] if marks else "tokenizing"
        marks.append((time.perf_counter(), f"load tokenizer ({family})", _status_kb("VmHWM")))
        try:
            return real_get(family)
        finally:
            marks.append((time.perf_counter(), resume, _status_kb("VmHWM")))

    prep.api.load, prep.engine.run.model_fits, tokenizers.get_tokenizer = load, model_fits, get_tokenizer
    start = time.perf_counter()
    with Timeline(lambda: marks[-1][1] if marks else "start") as timeline:
        result = prep.lint(path, models=models, progress=progress)
    end = time.perf_counter()
    end_hwm = _status_kb("VmHWM")
    prep.api.load, prep.engine.run.model_fits, tokenizers.get_tokenizer = real_load, real_fits, real_get

    # [stage, seconds, MB the peak RSS grew by during the stage]
    stages: list[list] = []
    for (t, label, hwm), (t_next, _, hwm_next) in zip(marks, marks[1:] + [(end, "", end_hwm)]):
        stages.append([label, round(t_next - t, 4), round((hwm_next - hwm) / 1024, 1)])
    summary = result.summary()
    if findings_out:
        with open(findings_out, "w") as out:
            json.dump([f.to_dict() for f in result.findings], out)
    render_s = None
    if render:
        r0 = time.perf_counter()
        REPORTERS["text"](result)
        render_s = round(time.perf_counter() - r0, 4)
    return {
        "models": models,
        "resolved_models": [m.name for m in result.models],
        "file": path,
        "bytes": os.path.getsize(path),
        "rows": sum(summary["rows"].values()),
        "import_s": round(import_s, 4),
        "lint_s": round(end - start, 4),
        "render_text_s": render_s,
        "rss_after_import_mb": round(rss_after_import_kb / 1024, 1),
        "peak_rss_mb": round(_status_kb("VmHWM") / 1024, 1),
        # the largest PII worker process (forked: much of it is shared with this process, copy-on-write)
        "worker_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        "findings": summary["findings"],
        "by_code": summary["by_code"],
        "exit_code": result.exit_code,
        "stages": stages,
        "timeline": timeline.samples,  # [seconds since the start, stage, main process cores, worker cores]
        "naive_calls": dict(naive_kernels.CALLS) if naive else None,
    }


# --- the parent: run children, print the tables ----------------------------------------------------------------


def run_child(
    path: str, models: list[str], render: bool, naive: bool = False, findings_out: str | None = None
) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", path, "--child-models", ",".join(models)]
    if not render:
        cmd.append("--no-render")
    if naive:
        cmd.append("--child-naive")
    if findings_out:
        cmd += ["--child-findings", findings_out]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    wall0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO))
    process_s = time.perf_counter() - wall0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"measurement failed for models {models} (exit {proc.returncode})")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = round(process_s, 3)
    return out


# The CLI runs under a fresh intermediate interpreter, so RUSAGE_CHILDREN holds that one command's peak only.
_CLI_WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t
print(json.dumps({"wall_s": wall, "exit": p.returncode, "stderr": p.stderr[-2000:],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def run_cli(path: str, models: list[str]) -> dict:
    cmd = [sys.executable, "-c", _CLI_WRAPPER, sys.executable, "-m", "prep.cli", "lint", path, "--format", "json",
           "--no-progress"]
    for m in models:
        cmd += ["--model", m]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(REPO))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if out["exit"] not in (0, 1):
        sys.stderr.write(out["stderr"])
        raise SystemExit(f"prep lint failed for models {models} (exit {out['exit']})")
    return out


def _fmt(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def timeline_table(run: dict, rows: int = 40) -> list[str]:
    """The wall-clock timeline of a run: consecutive samples of one stage merged (long stages split so that at most
    ``rows`` rows are printed), with the cores the main process and the PII workers kept busy meanwhile."""
    samples = run.get("timeline") or []
    if not samples:
        return []
    step = max(run["lint_s"] / rows, 0.25)
    spans: list[list] = []  # [start, end, stage, main core-seconds, worker core-seconds]
    previous = 0.0
    for t, stage, main, workers in samples:
        width = t - previous
        if spans and spans[-1][2] == stage and t - spans[-1][0] <= step:
            spans[-1][1] = t
            spans[-1][3] += main * width
            spans[-1][4] += workers * width
        else:
            spans.append([previous, t, stage, main * width, workers * width])
        previous = t
    lines = ["| from s | to s | stage (main process) | main process, cores | PII workers, cores | both |",
             "|---:|---:|---|---:|---:|---|"]
    for start, end, stage, main, workers in spans:
        width = max(end - start, 1e-9)
        busy = (main + workers) / width
        bar = "#" * round(busy * 10) + "." * max(0, 20 - round(busy * 10))
        lines.append(f"| {start:.1f} | {end:.1f} | {stage} | {main / width:.2f} | {workers / width:.2f} | `{bar}` |")
    total_main = sum(s[3] for s in spans)
    total_workers = sum(s[4] for s in spans)
    wall = spans[-1][1]
    lines.append(f"\nover the run: {(total_main + total_workers) / wall:.2f} of {os.cpu_count()} cores busy "
                 f"(main process {total_main:.1f} CPU s, PII workers {total_workers:.1f} CPU s, in {wall:.1f} s); "
                 f"`#` = a tenth of a core")
    return lines


def stage_table(run: dict, top: int) -> list[str]:
    total = run["lint_s"]
    merged: dict[str, list[float]] = {}
    for label, seconds, grew in run["stages"]:
        acc = merged.setdefault(label, [0.0, 0.0])
        acc[0] += seconds
        acc[1] += grew
    ranked = sorted(merged.items(), key=lambda kv: -kv[1][0])
    lines = ["| stage | s | share | peak RSS growth MB |", "|---|---:|---:|---:|"]
    for label, (seconds, grew) in ranked[:top]:
        lines.append(f"| {label} | {seconds:.2f} | {100 * seconds / total:.1f}% | {grew:,.0f} |")
    if len(ranked) > top:
        rest = sum(v[0] for _, v in ranked[top:])
        grew = sum(v[1] for _, v in ranked[top:])
        lines.append(f"| ({len(ranked) - top} more stages) | {rest:.2f} | {100 * rest / total:.1f}% | {grew:,.0f} |")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("path", nargs="?", help="data file to lint")
    p.add_argument("--models", nargs="+", default=["llama3-8b", "all"],
                   help="model selections, one measurement each (comma-join names for one multi-model run)")
    p.add_argument("--repeat", type=int, default=1, help="runs per selection; the table shows the median run")
    p.add_argument("--top", type=int, default=12, help="stages shown per breakdown")
    p.add_argument("--cli", action="store_true", help="also time the real `prep lint` command end to end")
    p.add_argument("--no-render", dest="render", action="store_false", help="skip timing the text report")
    p.add_argument("--json", metavar="OUT", help="write every raw measurement to this JSON file")
    p.add_argument("--child", metavar="PATH", help=argparse.SUPPRESS)
    p.add_argument("--child-models", help=argparse.SUPPRESS)
    p.add_argument("--child-naive", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-findings", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        result = child(args.child, args.child_models.split(","), args.render, args.child_naive, args.child_findings)
        print(json.dumps(result))
        return 0

    if not args.path:
        p.error("the data file to lint is required")
    path = str(Path(args.path).resolve())
    if not os.path.isfile(path):
        raise SystemExit(f"no such file: {path}")
    size_mb = os.path.getsize(path) / 1e6
    measured: list[dict] = []
    for selection in args.models:
        models = [m for m in selection.split(",") if m]
        runs = []
        for i in range(args.repeat):
            print(f"measuring {selection} (run {i + 1}/{args.repeat}) ...", file=sys.stderr, flush=True)
            runs.append(run_child(path, models, args.render))
        runs.sort(key=lambda r: r["lint_s"])
        median = runs[(len(runs) - 1) // 2]
        entry = {"selection": selection, "median": median, "runs": runs}
        if args.cli:
            print(f"measuring {selection} through the CLI ...", file=sys.stderr, flush=True)
            entry["cli"] = run_cli(path, models)
        measured.append(entry)

    print(f"\nfile: {path} ({size_mb:,.1f} MB, {measured[0]['median']['rows']:,} rows); "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, PREP_THREADS={os.environ.get('PREP_THREADS', '(default)')}\n")
    print("| models | MB | rows | wall s | MB/s | rows/s | peak RSS MB | findings |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for e in measured:
        r = e["median"]
        wall = r["lint_s"]
        label = e["selection"] if e["selection"] != "all" else f"all ({len(r['resolved_models'])})"
        print(f"| {label} | {_fmt(size_mb)} | {r['rows']:,} | {wall:.2f} | {_fmt(size_mb / wall, 2)} | "
              f"{r['rows'] / wall:,.0f} | {_fmt(max(x['peak_rss_mb'] for x in e['runs']), 0)} | {r['findings']:,} |")
    print("\nwall s = prep.lint() only (median run); import, text rendering and process start are reported below.")
    for e in measured:
        r = e["median"]
        walls = ", ".join(f"{x['lint_s']:.2f}" for x in e["runs"])
        print(f"\n### {e['selection']}: {', '.join(r['resolved_models'])}\n")
        print(f"- lint runs (s): {walls}; import prep: {r['import_s']:.2f} s; RSS after import: "
              f"{r['rss_after_import_mb']:,.0f} MB; peak RSS: {r['peak_rss_mb']:,.0f} MB "
              f"({r['peak_rss_mb'] / size_mb:.1f}x the file)")
        if r["render_text_s"] is not None:
            print(f"- text report rendering: {r['render_text_s']:.2f} s; whole child process: {r['process_s']:.2f} s")
        if "cli" in e:
            c = e["cli"]
            print(f"- CLI end to end (`prep lint --format json`): {c['wall_s']:.2f} s, peak RSS {c['peak_rss_mb']:,.0f} MB, "
                  f"exit {c['exit']}")
        print(f"- findings by code: {json.dumps(r['by_code'])}\n")
        print("\n".join(stage_table(r, args.top)))
    if args.json:
        Path(args.json).write_text(json.dumps({"file": path, "size_mb": size_mb, "measurements": measured}, indent=1))
        print(f"\nraw measurements: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
