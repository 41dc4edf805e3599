"""Run one hostile case through the ``prep`` CLI in a subprocess, under a memory and a time limit, and check what
every run must satisfy whatever the input (:func:`problems`).

The CLI runs as ``python -c 'from prep.cli import main; ...'`` rather than through the ``prep`` script or
``-m prep.cli``: that works on every version of the code (older ``cli.py`` files may lack the ``__main__`` guard)
and lets ``repo=`` point ``import prep`` at another checkout through ``PYTHONPATH``. The empty entry that ``-c``
puts first on ``sys.path`` (the current directory) is dropped, so the working directory never decides which
``prep`` is imported.

The child gets a session of its own (``start_new_session``): prep forks PII worker processes, and a worker that
outlives its parent is reparented to PID 1 but keeps the session id. Memory is the sum over every live process of
that session, polled every 50 ms, as PSS (proportional set size: forked workers share their copy-on-write pages
with the parent, and summing RSS would count those pages once per process, three times for a run with two
workers, and kill healthy runs); the reported peak is the larger of that sum and the child's own ``ru_maxrss``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tests.hostile.cases import Case

MiB = 1 << 20
POLL_SECONDS = 0.05
LEFTOVER_GRACE_SECONDS = 0.5  # how long workers may take to notice their parent is gone
OUTPUT_KEPT = 4 * MiB  # of stdout and of stderr, kept in the Outcome
OUTPUT_LIMIT = 512 * MiB  # more output than this is runaway echoing: the run is killed ("output")
MODEL = "llama3-8b"

_ENTRY = (
    "import sys; sys.path[:] = [p for p in sys.path if p not in ('', '.')]; "
    "from prep.cli import main; sys.exit(main())"
)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

# Bytes a terminal may act on: C0 controls except tab and newline, a carriage return not ending a CRLF, DEL, the
# UTF-8 forms of the C1 controls (U+0080-U+009F, CSI among them) and of the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069), which reorder what the terminal shows.
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")
_ANNOTATION = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")
_ROW_MESSAGE = re.compile(r"^row \d+")
_LINE_KINDS = {"jsonl", "json", "csv"}
_LINE_SUFFIXES = {".jsonl", ".ndjson", ".json", ".csv"}


@dataclass
class Outcome:
    case: str
    command: str  # "lint", "prepare" or "prepare --pii keep"
    argv: list[str]
    timeout: float
    memory_limit_mb: int
    skipped: str | None = None
    exit_code: int | None = None  # None when the runner killed it
    killed: str | None = None  # "memory", "timeout", "output" or None
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0  # max(peak session PSS sum, the child's ru_maxrss)
    peak_session_rss_sum_mb: float = 0.0  # for reference: the plain RSS sum, shared pages counted per process
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    traceback: bool = False
    internal_error: bool = False
    leftover: int = 0
    leftover_commands: list[str] = field(default_factory=list)
    control_bytes: bool = False
    control_sample: str | None = None
    annotations: int = 0
    file_level_annotations: int = 0  # file= without line= and without a row: findings about the whole file
    unlocated: int = 0  # file= without line= although the finding names a row (line-based formats only)
    unlocated_sample: str | None = None
    rows_conserved: bool | None = None
    rows_detail: str = ""
    output_dir_problem: str | None = None
    pii_leaks: list[str] = field(default_factory=list)
    missing_expected: list[str] = field(default_factory=list)

    def to_json(self, text_limit: int = 4000) -> dict:
        """A JSON-able dict; the captured output is cut to ``text_limit`` characters of each stream."""
        data = asdict(self)
        for stream in ("stdout", "stderr"):
            data[stream] = getattr(self, stream).decode("utf-8", "backslashreplace")[:text_limit]
        data["argv"] = [os.fsencode(a).decode("utf-8", "backslashreplace") for a in self.argv]
        data["problems"] = problems(self)
        return data


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape: reports about output that
    echoed control bytes must not echo them again."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def problems(outcome: Outcome) -> list[str]:
    """Every invariant the run broke, one readable line each (terminal-safe); empty for a good run (and for a
    skipped case)."""
    if outcome.skipped:
        return []
    out: list[str] = []
    if outcome.killed == "memory":
        out.append(f"killed: the session's memory passed {outcome.memory_limit_mb} MB")
    elif outcome.killed == "timeout":
        out.append(f"killed: still running after {outcome.timeout:g} s")
    elif outcome.killed:
        out.append(f"killed: more than {OUTPUT_LIMIT // MiB} MB of output")
    elif outcome.exit_code not in (0, 1, 2):
        code = outcome.exit_code
        out.append(f"exit code {code}" + (f" (signal {signal.Signals(-code).name})" if code is not None and code < 0 else ""))
    if outcome.traceback:
        out.append("a traceback on stderr")
    if outcome.internal_error:
        line = next((ln for ln in outcome.stderr.decode("utf-8", "replace").splitlines() if "internal error" in ln), "")
        out.append(f"internal error: {line.strip()[:300]}")
    if outcome.leftover:
        out.append(f"{outcome.leftover} process(es) of the session still running after exit: {'; '.join(outcome.leftover_commands)[:300]}")
    if outcome.control_bytes:
        out.append(f"raw control bytes in the output: {outcome.control_sample}")
    if outcome.unlocated:
        out.append(f"{outcome.unlocated} of {outcome.annotations} annotations name a row but carry no line=: {outcome.unlocated_sample}")
    if outcome.rows_conserved is False:
        out.append(f"rows not conserved: {outcome.rows_detail}")
    if outcome.output_dir_problem:
        out.append(outcome.output_dir_problem)
    if outcome.pii_leaks:
        out.append(f"raw PII in the output: {outcome.pii_leaks}")
    if outcome.missing_expected:
        out.append(f"expected hint missing (a silent guess?): {outcome.missing_expected}")
    return [safe(line) for line in out]


def describe(outcome: Outcome) -> str:
    """The problems and the tail of the output, for an assertion message."""
    found = problems(outcome)
    head = f"{outcome.case} [{outcome.command}]: exit {outcome.exit_code}, {outcome.wall_s:.1f} s, {outcome.peak_rss_mb:.0f} MB"
    tail = lambda data: safe(data[-1500:].decode("utf-8", "backslashreplace"))  # noqa: E731
    return "\n".join([head, *(f"  - {p}" for p in found), "stdout (end):", tail(outcome.stdout), "stderr (end):", tail(outcome.stderr)])


# --- /proc ------------------------------------------------------------------------------------------------------


def _session(sid: int) -> dict[int, tuple[str, int]]:
    """{pid: (state, rss bytes)} of every process whose session id is ``sid``, zombies included."""
    found = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue  # gone meanwhile
        # the command name (in parentheses) may hold spaces and parentheses: split after the last ")"
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 21 and int(fields[3]) == sid:
            found[int(entry)] = (fields[0].decode(), int(fields[21]) * _PAGE)
    return found


def _pss(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _alive(sid: int) -> dict[int, tuple[str, int]]:
    return {pid: info for pid, info in _session(sid).items() if info[0] not in ("Z", "X")}


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "backslashreplace").strip()[:200] or f"pid {pid}"
    except OSError:
        return f"pid {pid}"


def _kill_session(sid: int) -> None:
    """SIGKILL every process of the session, again until none is left (one may fork while we kill)."""
    for _ in range(50):
        members = _alive(sid)
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.01)


# --- scanning output ---------------------------------------------------------------------------------------------


def _search_file(path: Path, pattern: re.Pattern, *, overlap: int, lower: bool = False) -> re.Match | None:
    """The first match of ``pattern`` in the file, read in chunks (outputs can be large). A match that starts in
    the last ``overlap`` bytes of a chunk may depend on the next one (a CR before LF), so it is looked at again."""
    try:
        handle = open(path, "rb")
    except OSError:
        return None
    with handle:
        buf = b""
        while True:
            data = handle.read(8 * MiB)
            buf += data.lower() if lower else data
            found = pattern.search(buf)
            if found and (not data or found.start() < len(buf) - overlap):
                return found
            if not data:
                return None
            buf = buf[-overlap:]


def _find_pii(paths: Sequence[Path], values: Sequence[str]) -> list[str]:
    leaks = []
    for value in values:
        needle = value.lower().encode()
        pattern = re.compile(re.escape(needle))
        if any(_search_file(path, pattern, overlap=len(needle), lower=True) for path in paths if path.is_file()):
            leaks.append(value)
    return leaks


def _read_head(path: Path, limit: int) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(limit)
    except OSError:
        return b""


def _count_lines(path: Path) -> int:
    count = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 * MiB), b""):
            count += block.count(b"\n")
    return count


def _line_based(case: Case) -> bool:
    """Whether the case's format has lines that findings can point at (Parquet has none)."""
    if case.kind == "fs":
        suffixes = [s.lower() for s in case.path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        return bool(suffixes) and suffixes[-1] in _LINE_SUFFIXES
    return case.kind.removesuffix(".gz") in _LINE_KINDS


def _annotations(outcome: Outcome, case: Case) -> None:
    for line in outcome.stdout.decode("utf-8", "replace").splitlines():
        match = _ANNOTATION.match(line)
        if not match:
            continue
        outcome.annotations += 1
        props = dict(part.split("=", 1) for part in (match.group(2) or "").split(",") if "=" in part)
        if "file" in props and "line" not in props:
            if _ROW_MESSAGE.match(match.group(3)) and _line_based(case):
                outcome.unlocated += 1
                outcome.unlocated_sample = outcome.unlocated_sample or line[:200]
            else:
                outcome.file_level_annotations += 1


def _check_prepare_output(outcome: Outcome, case: Case, run_dir: Path, out_dir: Path) -> None:
    names = ("train.jsonl", "validation.jsonl", "excluded.jsonl", "manifest.json")
    if not outcome.killed:
        # prepare writes into a hidden staging directory beside DIR and renames it: nothing else may stay behind
        strays = sorted(p.name for p in run_dir.iterdir() if p.name not in (out_dir.name, "stdout", "stderr"))
        if strays:
            outcome.output_dir_problem = f"left beside the output directory: {strays}"
        if outcome.exit_code == 0 and not all((out_dir / n).is_file() for n in names):
            present = sorted(p.name for p in out_dir.iterdir()) if out_dir.is_dir() else "no directory"
            outcome.output_dir_problem = f"exit 0 but the output directory is incomplete: {present}"
    manifest_path = out_dir / "manifest.json"
    if outcome.exit_code not in (0, 1) or not manifest_path.is_file():
        return
    try:
        counts = json.loads(manifest_path.read_bytes())["counts"]
        expected = {split: int(counts[split]) for split in ("train", "validation", "excluded")}
        rows = int(counts["input_rows"])
    except (ValueError, KeyError, TypeError) as exc:
        outcome.rows_conserved, outcome.rows_detail = False, f"manifest.json has no usable counts: {exc!r}"
        return
    details = []
    if sum(expected.values()) != rows:
        details.append(f"train {expected['train']} + validation {expected['validation']} + excluded {expected['excluded']} != input_rows {rows}")
    for split, count in expected.items():
        path = out_dir / f"{split}.jsonl"
        lines = _count_lines(path) if path.is_file() else None
        if lines != count:
            details.append(f"{split}.jsonl has {lines} lines, the manifest says {count}")
    if case.expected_records is not None and rows != case.expected_records:
        details.append(f"input_rows {rows}, the case has {case.expected_records} records")
    outcome.rows_conserved = not details
    outcome.rows_detail = "; ".join(details) or f"{rows} rows"


# --- running -----------------------------------------------------------------------------------------------------


def command_label(command: str, extra_args: Sequence[str] = ()) -> str:
    return " ".join([command, *extra_args])


def run_case(
    case: Case,
    command: str,
    *,
    tmp: Path,
    timeout: float,
    memory_limit_mb: int,
    extra_args: Sequence[str] = (),
    repo: str | Path | None = None,
    cwd: str | Path | None = None,
    keep_outputs: bool = False,
) -> Outcome:
    """Run ``prep lint`` or ``prep prepare`` on ``case.path`` and measure it. ``tmp`` holds this run's output
    directory and captured streams (removed afterwards unless ``keep_outputs``); ``repo`` puts another checkout
    first on PYTHONPATH."""
    if command not in ("lint", "prepare"):
        raise ValueError(f"unknown command {command!r}")
    label = command_label(command, extra_args)
    variant = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    run_dir = Path(tmp) / f"run-{case.name}-{variant}"
    out_dir = run_dir / f"out-{case.name}"
    base = [sys.executable, "-c", _ENTRY]
    if command == "lint":
        argv = [*base, "lint", str(case.path), "--model", MODEL, "--format", "github", *extra_args]
    else:
        argv = [*base, "prepare", str(case.path), "--model", MODEL, "--out", str(out_dir), *extra_args]
    outcome = Outcome(case=case.name, command=label, argv=argv, timeout=timeout, memory_limit_mb=memory_limit_mb)
    if case.skip_reason:
        outcome.skipped = case.skip_reason
        return outcome

    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    env = dict(os.environ)
    for name in ("PREP_DEBUG", "PREP_PROCESSES"):  # PREP_DEBUG turns internal errors into tracebacks
        env.pop(name, None)
    if repo is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(repo).resolve()), *filter(None, [env.get("PYTHONPATH")])])
    stdout_path, stderr_path = run_dir / "stdout", run_dir / "stderr"
    limit = memory_limit_mb * MiB
    peak_pss = peak_rss_sum = 0

    started = time.monotonic()
    # The streams go to files, not pipes: a pipe nobody drains while we poll would block a chatty child.
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True, env=env, cwd=cwd)
    sid = proc.pid  # the session leader's pid is the session id
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            members = _alive(sid)
            rss_sum = sum(rss for _, rss in members.values())
            pss_sum = sum(_pss(p) or rss for p, (_, rss) in members.items())
            peak_rss_sum, peak_pss = max(peak_rss_sum, rss_sum), max(peak_pss, pss_sum)
            if pss_sum > limit:
                outcome.killed = "memory"
            elif time.monotonic() - started > timeout:
                outcome.killed = "timeout"
            elif os.path.getsize(stdout_path) + os.path.getsize(stderr_path) > OUTPUT_LIMIT:
                outcome.killed = "output"
            if outcome.killed:
                _kill_session(sid)
                _, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(POLL_SECONDS)
    except BaseException:  # an interrupted test run must not leave a runaway prep behind
        _kill_session(sid)
        proc.wait()
        raise
    outcome.wall_s = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: keep Popen from waiting again
    outcome.exit_code = None if outcome.killed else proc.returncode

    # Workers that outlive the CLI: give them a moment to see their parent is gone, then count and kill them.
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    members = _alive(sid)
    while members and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        members = _alive(sid)
    if members and not outcome.killed:
        outcome.leftover = len(members)
        outcome.leftover_commands = [_command_line(pid) for pid in members]
    _kill_session(sid)

    outcome.peak_rss_mb = round(max(peak_pss, usage.ru_maxrss * 1024) / MiB, 1)
    outcome.peak_session_rss_sum_mb = round(peak_rss_sum / MiB, 1)
    outcome.stdout, outcome.stderr = _read_head(stdout_path, OUTPUT_KEPT), _read_head(stderr_path, OUTPUT_KEPT)
    outcome.stdout_bytes, outcome.stderr_bytes = stdout_path.stat().st_size, stderr_path.stat().st_size
    outcome.traceback = b"Traceback" in outcome.stderr
    outcome.internal_error = b"internal error" in outcome.stderr
    for path in (stdout_path, stderr_path):
        found = _search_file(path, CONTROL, overlap=8)
        if found:
            outcome.control_bytes = True
            context = found.string[max(0, found.start() - 30) : found.end() + 30]
            outcome.control_sample = outcome.control_sample or f"{path.name}: {context!r}"
    if command == "lint":
        _annotations(outcome, case)
    else:
        _check_prepare_output(outcome, case, run_dir, out_dir)

    # PII: the streams and every file prepare wrote (staging directories included). With --pii keep the user asked
    # for the rows as they are, so train and validation may hold them; labels, keys, manifest and messages may not.
    keep = "keep" in extra_args
    scanned = [stdout_path, stderr_path] + [
        p for p in sorted(run_dir.rglob("*")) if p.is_file() and p not in (stdout_path, stderr_path)
    ]
    if keep:
        scanned = [p for p in scanned if not (p.parent == out_dir and p.name in ("train.jsonl", "validation.jsonl"))]
    if case.pii_values:
        outcome.pii_leaks = _find_pii(scanned, case.pii_values)

    if case.expect_in_output or case.expect_in_lint:
        haystack = outcome.stdout + b"\n" + outcome.stderr
        if command == "prepare":  # prepare prints counts; what it knows about the input is in these two files
            haystack += b"\n" + _read_head(out_dir / "manifest.json", 16 * MiB) + b"\n" + _read_head(out_dir / "excluded.jsonl", 16 * MiB)
        text = haystack.decode("utf-8", "replace")
        # The paths hold the case's name and group ("gzip/gz-truncated-half.jsonl.gz", "val-duplicate-key-prompt"):
        # take them out, or every hint would be found in the file name the tool echoes.
        for echoed in sorted({str(case.path), str(run_dir), case.name}, key=len, reverse=True):
            text = text.replace(echoed, "<path>")
        wanted = list(case.expect_in_output) + (list(case.expect_in_lint) if command == "lint" else [])
        if not outcome.killed:  # a killed run has its own problem; its hints are not the point
            outcome.missing_expected = [p for p in wanted if not re.search(p, text, re.IGNORECASE)]

    if not keep_outputs:
        shutil.rmtree(run_dir, ignore_errors=True)
    return outcome
