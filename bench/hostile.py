#!/usr/bin/env python
"""Every hostile case (tests/hostile/cases.py) through ``prep lint`` and ``prep prepare``, one run at a time, and a
table of what went wrong.

    python bench/hostile.py                                  # every case, heavy ones included (long: see below)
    python bench/hostile.py --only-quick                     # the ~30 cases of the quick test run
    python bench/hostile.py --repo /tmp/prep-old --json old.json   # the same cases against another checkout

Each case runs ``lint`` (``--format github``) and ``prepare`` (plus ``prepare --pii keep`` for PII cases) in a
fresh subprocess with its own session, killed past ``--memory-mb`` (the PSS sum of every process of the session)
or ``--timeout``; the invariants are those of :func:`tests.hostile.runner.problems`. Runs are sequential: the
limits and timings are only meaningful with the machine to themselves.

The case generator and the runner always come from this checkout; only the CLI under test changes with
``--repo DIR``, which puts DIR first on PYTHONPATH (the working directory stays as it is and is not on the
child's ``sys.path``), so an older commit can be measured from a ``git worktree`` or ``git archive`` copy.
The exit code is 0 whatever the table says: this is a report; the test suite is the gate.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.hostile from this checkout, whatever the working directory

from tests.hostile.cases import catalog  # noqa: E402
from tests.hostile.runner import Outcome, problems, run_case  # noqa: E402

EXAMPLES = 3


def _rows(outcomes: list[Outcome], timeout: float) -> list[tuple[str, list[Outcome], str | None]]:
    """(label, the runs it applies to, an optional replacement for the run count) per table row."""
    ran = [o for o in outcomes if not o.skipped]
    unlocated = [o for o in ran if o.unlocated]
    total_unlocated = sum(o.unlocated for o in ran)
    # annotations of the lint runs on line-based inputs: the ones that could have carried a line=
    total_annotations = sum(o.annotations for o in ran if o.command == "lint")
    other = [o for o in ran if o.output_dir_problem or o.killed == "output"]
    return [
        ("tracebacks", [o for o in ran if o.traceback], None),
        ("killed for memory", [o for o in ran if o.killed == "memory"], None),
        (f"hangs past {timeout:g} s", [o for o in ran if o.killed == "timeout"], None),
        ("internal error exit 2", [o for o in ran if o.internal_error], None),
        ("exit code not 0/1/2", [o for o in ran if not o.killed and o.exit_code not in (0, 1, 2)], None),
        ("worker processes left running", [o for o in ran if o.leftover], None),
        ("findings without a line (annotations)", unlocated, f"{len(unlocated)} ({total_unlocated:,} of {total_annotations:,} annotations)"),
        ("rows not conserved in prepare", [o for o in ran if o.rows_conserved is False], None),
        ("raw control bytes echoed", [o for o in ran if o.control_bytes], None),
        ("PII leaked to an output", [o for o in ran if o.pii_leaks], None),
        ("silent guesses (expected hint missing)", [o for o in ran if o.missing_expected], None),
        ("other (runaway output, output directory left incomplete)", other, None),
    ]


def _examples(runs: list[Outcome]) -> str:
    names = list(dict.fromkeys(o.case for o in runs))
    shown = ", ".join(f"`{n}`" for n in names[:EXAMPLES])
    return shown + (f" +{len(names) - EXAMPLES} more" if len(names) > EXAMPLES else "")


def render(outcomes: list[Outcome], *, timeout: float, cases: int, wall: float) -> str:
    lines = ["| outcome | runs | examples |", "|---|---:|---|"]
    for label, runs, count in _rows(outcomes, timeout):
        lines.append(f"| {label} | {count or len(runs)} | {_examples(runs)} |")
    ran = [o for o in outcomes if not o.skipped]
    lines.append("")
    if ran:
        worst = max(ran, key=lambda o: o.peak_rss_mb)
        slowest = max(ran, key=lambda o: o.wall_s)
        lines.append(f"peak memory: `{worst.case}` ({worst.command}) {worst.peak_rss_mb:,.0f} MB")
        lines.append(f"slowest: `{slowest.case}` ({slowest.command}) {slowest.wall_s:.1f} s")
    failing = len({o.case for o in ran if problems(o)})
    lines.append(
        f"totals: {cases} cases, {len(ran)} runs ({len(outcomes) - len(ran)} skipped), {failing} cases with a problem, "
        f"wall time {wall / 60:.1f} min"
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="Where the cases and the runs' scratch files go (default: a new temporary directory).")
    parser.add_argument("--only-quick", action="store_true", help="Only the cases tagged quick.")
    parser.add_argument("--no-heavy", action="store_true", help="Leave out the heavy cases (gzip bombs, 50 MB records, 1M rows).")
    parser.add_argument("--cases", help="Comma-separated case names to run (after the other filters).")
    parser.add_argument("--timeout", type=float, default=120.0, help="Seconds before a run is killed (default 120).")
    parser.add_argument("--memory-mb", type=int, default=4000, help="MB of session memory before a run is killed (default 4000).")
    parser.add_argument("--json", type=Path, help="Write every outcome here.")
    parser.add_argument("--repo", type=Path, help="Run the CLI of this checkout (put first on PYTHONPATH).")
    parser.add_argument("--keep-outputs", action="store_true", help="Keep each run's output directory and streams.")
    args = parser.parse_args(argv)

    if args.repo is not None and not (args.repo / "prep" / "cli.py").is_file():
        parser.error(f"--repo {args.repo}: no prep/cli.py there")
    out = args.out or Path(tempfile.mkdtemp(prefix="prep-hostile-"))
    out.mkdir(parents=True, exist_ok=True)
    planned = catalog(out / "cases")
    if args.only_quick:
        planned = [p for p in planned if p.case.quick]
    if args.no_heavy:
        planned = [p for p in planned if not p.case.heavy]
    if args.cases:
        wanted = set(args.cases.split(","))
        unknown = wanted - {p.case.name for p in planned}
        if unknown:
            parser.error(f"unknown (or filtered out) cases: {', '.join(sorted(unknown))}")
        planned = [p for p in planned if p.case.name in wanted]

    started = time.monotonic()
    print(f"writing {len(planned)} cases under {out / 'cases'} ...", file=sys.stderr)
    cases = [p.materialize() for p in planned]
    print(f"  {time.monotonic() - started:.1f} s", file=sys.stderr)
    runs = [(case, command, extra) for case in cases for command, extra in
            [("lint", ()), ("prepare", ()), *([("prepare", ("--pii", "keep"))] if "pii" in case.tags else [])]]
    outcomes: list[Outcome] = []
    for number, (case, command, extra) in enumerate(runs, start=1):
        outcome = run_case(case, command, tmp=out / "runs", timeout=args.timeout, memory_limit_mb=args.memory_mb,
                           extra_args=extra, repo=args.repo, keep_outputs=args.keep_outputs)
        outcomes.append(outcome)
        found = problems(outcome)
        status = "skipped: " + outcome.skipped if outcome.skipped else ("; ".join(found)[:160] if found else "ok")
        print(f"[{number}/{len(runs)}] {case.name} {outcome.command}: exit {outcome.exit_code}, {outcome.wall_s:.1f} s, "
              f"{outcome.peak_rss_mb:.0f} MB: {status}", file=sys.stderr)
    wall = time.monotonic() - started

    print(render(outcomes, timeout=args.timeout, cases=len(cases), wall=wall), end="")
    if args.json:
        args.json.write_text(json.dumps({
            "repo": str(args.repo) if args.repo else str(REPO),
            "timeout": args.timeout,
            "memory_mb": args.memory_mb,
            "cases": len(cases),
            "wall_s": round(wall, 1),
            "outcomes": [o.to_json() for o in outcomes],
        }, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
