"""The child side of tests/test_snowflake_runtime.py: plays a Snowflake stored procedure's Python runtime.

Started by ``runner.py`` as ``<venv>/bin/python -I -B -X snowflake_import_directory=<imports>/ driver.py``, with one
JSON request on stdin; prints one JSON report on stdout. Standard library only until the sandbox is up: the repo's
``tests`` package is not importable here (that is the point), so the Cortex double is loaded from its file path.

Modes: ``run`` seeds tables over the given fakesnow server and calls every handler; ``selfcheck`` tries what the
sandbox must refuse, so a sandbox that silently allows everything cannot pass the test.
"""

from __future__ import annotations

import json
import os
import site
import sys
import threading
import traceback

# Snowflake refuses these outright; an audit hook is the only place that sees every way Python reaches them.
PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.system", "os.spawn", "subprocess.Popen",
                  "pty.spawn", "os.startfile"}
# Events that change the file system, with the positions of the paths they change (an fd is skipped: it was
# opened through an "open" event that was checked already).
WRITE_EVENTS = {
    "os.mkdir": (0,), "os.rename": (0, 1), "os.remove": (0,), "os.rmdir": (0,), "os.link": (1,), "os.symlink": (1,),
    "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,), "os.chflags": (0,),
    "os.lchflags": (0,), "os.mkfifo": (0,), "os.mknod": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
    "shutil.copyfile": (1,), "shutil.copymode": (1,), "shutil.copystat": (1,), "shutil.copytree": (1,),
    "shutil.chown": (0,), "shutil.make_archive": (0,), "shutil.move": (0, 1), "shutil.rmtree": (0,),
    "shutil.unpack_archive": (1,), "tempfile.mkstemp": (0,), "tempfile.mkdtemp": (0,),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
HOOK_FUNCTIONS = {"hook", "_judge", "_check_write", "_refuse", "_stack"}  # left out of a refusal's stack
# Allowed, but worth seeing where they come from in the report.
NOTED_EVENTS = {"os.putenv", "os.unsetenv", "ctypes.dlopen", "mmap.__new__", "glob.glob"}
NETWORK_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
                  "socket.gethostbyaddr", "socket.getnameinfo", "socket.bind", "socket.sendto", "socket.sendmsg",
                  "http.client.connect", "urllib.Request", "ftplib.connect", "smtplib.connect", "poplib.connect",
                  "imaplib.open", "nntplib.connect", "telnetlib.Telnet.open", "webbrowser.open"}


class Sandbox:
    """The audit hook: refuses (PermissionError) and records every process creation, network use other than the
    session's own connection, and write outside ``writable`` or inside ``read_only``."""

    def __init__(self, host: str, port: int, writable: list[str], read_only: list[str], code: str) -> None:
        self.host, self.port = host, port
        self.writable = [os.path.normpath(p) for p in writable]
        self.read_only = [os.path.normpath(p) for p in read_only]
        self.code = code  # the code zip: a refusal's "prep_frame" is its innermost frame in there
        self.refusals: list[dict] = []
        self.events: dict[str, int] = {}  # every audit event seen, by name: what the runtime asked of the OS
        self.writes: set[str] = set()  # paths written to (allowed: under /tmp)
        self.noted: list[dict] = []  # where allowed but telling events came from (environment changes, native code)
        self.phase = "startup"  # then "handlers": from importing prep on, what a procedure itself does
        self._busy = threading.local()  # the hook's own calls (sys._getframe is an audit event too) are not audited

    def hook(self, event: str, args: tuple) -> None:
        if getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            self.events[event] = self.events.get(event, 0) + 1
            if event in NOTED_EVENTS and len(self.noted) < 20:
                self.noted.append({"event": event, "args": repr(args)[:200], "stack": self._stack()[:6]})
            reason = self._judge(event, args)
        finally:
            self._busy.on = False
        if reason:
            raise PermissionError(f"sandbox: {reason}")

    def _judge(self, event: str, args: tuple) -> str | None:
        if event in PROCESS_EVENTS or event.startswith("_posixsubprocess"):
            return self._refuse(event, args, "no process creation in Snowflake")
        if event in NETWORK_EVENTS:
            if self._is_session(event, args):
                return None
            return self._refuse(event, args, "no network in Snowflake but the session's connection")
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, 0))[:3]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            return self._check_write(event, args, [path]) if writing else None
        if event == "sqlite3.connect" and args and str(args[0]) != ":memory:":
            return self._check_write(event, args, [args[0]])
        if event in WRITE_EVENTS:
            return self._check_write(event, args, [args[i] for i in WRITE_EVENTS[event] if i < len(args)])
        return None

    def _is_session(self, event: str, args: tuple) -> bool:
        if event == "socket.connect":
            address = args[1] if len(args) > 1 else None
            return isinstance(address, tuple) and address[:2] == (self.host, self.port)
        if event == "socket.getaddrinfo":
            return args[0] in (self.host, self.host.encode()) and args[1] in (self.port, str(self.port))
        if event == "http.client.connect":
            return args[1:3] == (self.host, self.port)
        return False

    def _check_write(self, event: str, args: tuple, paths: list) -> str | None:
        for raw in paths:
            if isinstance(raw, int) or raw is None:
                continue
            # Relative paths resolve against the cwd, which runner.py puts under /tmp; a dir_fd-relative one
            # (rmtree's) is judged like that too: the fd itself came from a checked open.
            path = os.path.normpath(os.path.abspath(os.fsdecode(raw)))
            inside = any(path == w or path.startswith(w + os.sep) for w in self.writable)
            frozen = any(path == r or path.startswith(r + os.sep) for r in self.read_only)
            if not inside or frozen:
                return self._refuse(event, args, f"no write to {path} (only /tmp is writable; the packages and "
                                                 "the import directory are read-only)")
            self.writes.add(path)
        return None

    def _stack(self) -> list[str]:
        """file:line function of the code that caused the event, innermost first (no source is read: that would
        be an audited open)."""
        frames = []
        frame = sys._getframe(1)
        while frame is not None and len(frames) < 25:
            if frame.f_code.co_filename != __file__ or frame.f_code.co_name not in HOOK_FUNCTIONS:
                frames.append(f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}")
            frame = frame.f_back
        return frames

    def _refuse(self, event: str, args: tuple, reason: str) -> str:
        frames = self._stack()
        self.refusals.append({
            "event": event,
            "phase": self.phase,
            "args": repr(args)[:300],
            "reason": reason,
            "prep_frame": next((f for f in frames if f.startswith(self.code)), None),
            "stack": frames,
            "thread": threading.current_thread().name,
        })
        return f"{reason}: {event}{repr(args)[:200]}"


def confine_path(code_zip: str) -> None:
    """sys.path = the standard library, the venv's site-packages and the code zip: what a procedure sees."""
    stdlib = [p for p in sys.path if p.startswith(sys.base_prefix) and "site-packages" not in p]
    sys.path[:] = stdlib + site.getsitepackages() + [code_zip]


def plain_json(value) -> bool:
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


def seed(session) -> dict[str, int]:
    """The rows of tests/test_procs.py's seed_tickets, and a table whose 400 e-mail addresses would make prep use
    worker processes for PII detection anywhere but in Snowflake."""
    import random

    rng = random.Random(5)
    vocab = ("bill roaming fee trip abroad charge refund data speed slow router home evening video call line "
             "account plan month weekend hotel airport signal tower upgrade contract store family tablet watch "
             "number transfer port carrier outage storm city office laptop stream game buffer").split()
    rows = [(" ".join(rng.sample(vocab, 12)), "Roaming fees") for _ in range(12)]
    rows += [(" ".join(rng.sample(vocab, 12)), "Slow data speed") for _ in range(8)]
    rows += [("I lost my phone on the bus yesterday", "Lost phone")] * 3  # 2 exact duplicates
    rows += [("Reach me at ann.lee@acme-mail.com about my roaming bill", "Roaming fees")]
    rows += [("Full transcript: " + "roaming charges again and again " * 1500, "Roaming fees")]  # over the budget
    bulk = [(f"Please write to customer{i}@acme-mail.com about order {i}", "Billing") for i in range(400)]
    for table, data in (("TICKETS", rows), ("MAILS", bulk)):
        session.sql(f"CREATE OR REPLACE TABLE {table} (PROMPT VARCHAR, COMPLETION VARCHAR, TICKET_ID NUMBER)").collect()
        values = ", ".join("(?, ?, ?)" for _ in data)
        params = [v for i, (p, c) in enumerate(data) for v in (p, c, i)]
        session.sql(f"INSERT INTO {table} VALUES {values}", params=params).collect()
    # unlabelled tickets for the loop after FINETUNE (label, evaluate, promote): the last word tells the truth
    words = "bill fee trip abroad charge refund data speed router home video call line".split()
    raw = [(i, " ".join(words[(i * k + i // 3) % len(words)] for k in range(1, 8)) + f" ticket {i} "
            + ("roaming", "slow", "lost", "unclear")[i % 4]) for i in range(48)]
    session.sql("CREATE OR REPLACE TABLE RAW_TICKETS (TICKET_ID NUMBER, REQUEST VARCHAR)").collect()
    session.sql("INSERT INTO RAW_TICKETS VALUES " + ", ".join("(?, ?)" for _ in raw),
                params=[v for row in raw for v in row]).collect()
    return {"TICKETS": len(rows), "MAILS": len(bulk), "RAW_TICKETS": len(raw)}


def load_double(path: str):
    """tests/cortex_double.py, loaded from its file: the one double, without making the repo importable."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cortex_double", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["cortex_double"] = module
    spec.loader.exec_module(module)
    return module


def run_handlers(request: dict, sandbox: Sandbox) -> dict:
    from snowflake.snowpark import Session

    session = Session.builder.configs(request["server"]).create()
    session.sql("CREATE DATABASE IF NOT EXISTS PREPDB").collect()
    session.sql("CREATE SCHEMA IF NOT EXISTS PREPDB.SF").collect()
    session.sql("USE SCHEMA PREPDB.SF").collect()
    seeded = seed(session)

    sandbox.phase = "handlers"  # what Snowflake's runtime did is done; prep's part starts with its import
    import prep
    import prep.runtime
    import prep.tokenizers
    from prep.procs import cortex, evaluate, finetune, jobs, label, lint, models, prepare

    doubles = load_double(request["double"])
    double = doubles.CortexDouble()
    cortex.client = lambda _session: cortex.CortexClient(double)  # the handlers' one way to Cortex
    ai = doubles.CompleteSQL(session)  # AI_COMPLETE answered by the function the test put on the server

    calls = [
        ("lint", lambda: lint.run(session, "TICKETS", "llama3-8b", {})),
        ("lint_mails", lambda: lint.run(session, "MAILS", "llama3-8b", {})),
        ("prepare", lambda: prepare.run(session, "TICKETS", "SUPPORT", "llama3-8b", {"validation_fraction": 0.2})),
        ("finetune", lambda: finetune.run(session, "SUPPORT", "SUPPORT_MODEL", "llama3-8b", {"max_epochs": 2})),
        ("status", lambda: jobs.status(session, "ft_0001", {})),
        ("list", lambda: jobs.list(session, {})),
        ("cancel", lambda: jobs.cancel(session, "ft_0001", {})),
        ("label", lambda: label.run(ai, "RAW_TICKETS", "Classify the ticket.", ["Roaming fees", "Slow data speed",
                                    "Lost phone"], "llama3.1-70b", {"text_col": "REQUEST", "output": "LABELLED"})),
        ("prepare_labelled", lambda: prepare.run(ai, "LABELLED", "LOOP", "llama3-8b", {"validation_fraction": 0.25})),
        ("finetune_loop", lambda: finetune.run(ai, "LOOP", "LOOP", "llama3-8b", {})),
        ("status_loop", lambda: jobs.status(ai, "ft_0002", {})),
        ("evaluate", lambda: evaluate.run(ai, "LOOP", [{"job_id": "ft_0002"}, "llama3-8b"],
                                          {"judge": {"model": "llama3.1-70b"}})),
        ("promote", lambda: models.promote(ai, "LOOP", "ft_0002", {"require_better": "accuracy"})),
    ]
    results, errors, json_ok = {}, {}, {}
    for name, call in calls:
        try:
            results[name] = call()
            json_ok[name] = plain_json(results[name])
        except Exception:
            errors[name] = traceback.format_exc()
    tokenizers = {}
    for family in ("llama3", "mistral-v1"):
        try:
            tokenizers[family] = prep.tokenizers.get_tokenizer(family).origin
        except Exception:
            errors[f"tokenizer {family}"] = traceback.format_exc()
    try:
        session.close()
    except Exception:  # fakesnow cannot cancel queries on close
        pass
    return {
        "seeded": seeded,
        "results": {k: v if json_ok.get(k) else repr(v) for k, v in results.items()},
        "json": json_ok,
        "errors": errors,
        "finetune_calls": [c[0] for c in double.calls],
        "prep_file": prep.__file__,
        "procs_file": sys.modules["prep.procs"].__file__,
        "in_snowflake": prep.runtime.in_snowflake(),
        "worker_processes": prep.runtime.worker_processes(),
        "tokenizers": tokenizers,
    }


def selfcheck(request: dict, sandbox: Sandbox) -> dict:
    """Each probe should be refused (or allowed, for the controls); a probe that got through is undone."""
    import socket
    import subprocess

    probes: dict[str, str] = {}

    def probe(name: str, action, undo=None) -> None:
        before = len(sandbox.refusals)
        try:
            action()
            probes[name] = "allowed"
            if undo:
                undo()
        except PermissionError as exc:
            probes[name] = "refused" if str(exc).startswith("sandbox:") and len(sandbox.refusals) > before else repr(exc)
        except Exception as exc:  # e.g. nothing listening: the sandbox let it through
            probes[name] = f"allowed, then {exc!r}"

    def fork():
        if os.fork() == 0:  # the sandbox failed: the child leaves at once
            os._exit(0)

    outside = request["outside_probe"]  # a path outside /tmp that must stay absent
    probe("fork", fork)
    probe("subprocess", lambda: subprocess.run(["/bin/true"], check=False))
    probe("posix_spawn", lambda: os.posix_spawn("/bin/true", ["/bin/true"], dict(os.environ)))
    probe("system", lambda: os.system("true"))
    probe("connect_other_address", lambda: socket.create_connection(("127.0.0.2", request["port"]), timeout=1).close())
    probe("connect_other_port", lambda: socket.create_connection(("127.0.0.1", request["port"] + 1), timeout=1).close())
    probe("resolve_other_name", lambda: socket.getaddrinfo("localhost", 443))
    probe("write_outside_tmp", lambda: open(outside, "w").close(), lambda: os.remove(outside))
    probe("os_open_outside_tmp", lambda: os.close(os.open(outside, os.O_WRONLY | os.O_CREAT)), lambda: os.remove(outside))
    probe("mkdir_outside_tmp", lambda: os.mkdir(outside), lambda: os.rmdir(outside))
    probe("write_into_packages", lambda: open(os.path.join(site.getsitepackages()[0], "probe"), "w").close())
    probe("write_into_imports", lambda: open(os.path.join(request["imports"], "probe"), "w").close())
    # controls: what a procedure may do
    probe("write_in_tmpdir", lambda: open(os.path.join(os.environ["TMPDIR"], "probe"), "w").close())
    probe("read_outside_tmp", lambda: open(sys.executable, "rb").close())
    probe("connect_session", lambda: socket.create_connection(("127.0.0.1", request["port"]), timeout=5).close())

    # prep's own process creation is caught too: the same PII detection as in Snowflake, told it is elsewhere
    import polars as pl

    from prep.quoting import default_detector

    texts = pl.Series([f"call 415-555-{i:04d} or mail a{i}@acme-mail.org" for i in range(400)])
    marker = sys._xoptions.pop("snowflake_import_directory")
    before = len(sandbox.refusals)
    try:
        outside_found = len(default_detector().detect(texts, processes=2))
    finally:
        sys._xoptions["snowflake_import_directory"] = marker
    outside_refusals = sandbox.refusals[before:]
    before = len(sandbox.refusals)
    inside_found = len(default_detector().detect(texts, processes=2))
    return {
        "probes": probes,
        "pii_outside_snowflake": {"found": outside_found, "refused": [r["event"] for r in outside_refusals]},
        "pii_inside_snowflake": {"found": inside_found, "refused": [r["event"] for r in sandbox.refusals[before:]]},
    }


def main() -> int:
    request = json.load(sys.stdin)
    report_to = sys.stdout
    sys.stdout = sys.stderr  # a library's print must not spoil the one JSON document
    code_zip = os.path.join(request["imports"], "prep_code.zip")
    confine_path(code_zip)
    # /dev/null keeps nothing: stdlib's subprocess opens it for writing before it would spawn, which would hide the
    # process creation that is the refusal worth reporting
    sandbox = Sandbox(request["server"]["host"], request["server"]["port"], writable=["/tmp", "/dev/null"],
                      read_only=[sys.prefix, request["imports"]], code=code_zip)
    sys.addaudithook(sandbox.hook)  # before prep or Snowpark is imported: nothing they do escapes it
    report: dict = {"mode": request["mode"]}
    try:
        report.update(selfcheck(request, sandbox) if request["mode"] == "selfcheck" else run_handlers(request, sandbox))
    except Exception:
        report["fatal"] = traceback.format_exc()
    import importlib.util

    report.update(
        refusals=sandbox.refusals,
        events=dict(sorted(sandbox.events.items())),
        writes=sorted(sandbox.writes)[:200],
        noted=sandbox.noted,
        sys_path=list(sys.path),
        site_packages=site.getsitepackages(),
        prefix=sys.prefix,
        base_prefix=sys.base_prefix,
        xoptions=dict(sys._xoptions),
        # the tokenizer files can only have come from the import directory if these are absent
        importable={m: importlib.util.find_spec(m) is not None for m in ("llama_models", "mistral_common", "tests")},
    )
    report_to.write(json.dumps(report, default=repr) + "\n")
    report_to.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
