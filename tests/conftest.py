from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE = REPO / "prep" / "data" / "samples" / "support_tickets.jsonl"


def shared(relative: str) -> Path:
    """A file of ../shared/data, or a clean skip when the checkout has no ../shared beside it."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{relative}")
    return path


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def run_cli(capsys):
    """Runs the real entry point (prep.cli.main) and returns (exit code, stdout, stderr)."""
    from prep.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Every test runs with outbound connections refused: prep must never need the network.

    Loopback stays open for the Snowpark-on-fakesnow tests, which talk to a server on this machine.
    """
    import socket

    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host in ("localhost", "::1") or host.startswith("127.")):
            return real_connect(self, address)
        if self.family == getattr(socket, "AF_UNIX", None):
            return real_connect(self, address)
        raise OSError(f"network access attempted in a test: {address!r}")

    real_getaddrinfo = socket.getaddrinfo

    def guarded_getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or name in ("localhost", "::1") or str(name).startswith("127."):
            return real_getaddrinfo(host, *args, **kwargs)
        raise OSError(f"network access attempted in a test: name lookup of {name!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


def fakesnow_server():
    """``fakesnow.server``, the function: calling it imports the submodule ``fakesnow.server``, which then shadows
    the function on the package, so a second ``fakesnow.server()`` in the same process fails. Taken once, here."""
    return _FAKESNOW_SERVER()


try:
    from fakesnow import (
        server as _FAKESNOW_SERVER,  # before any call replaces the attribute with the submodule
    )
except ImportError:  # pragma: no cover - fakesnow is in the test extra
    _FAKESNOW_SERVER = None


# absl (which rouge-score imports) makes a logging handler on the sys.stderr of the moment it is imported, and
# closes that stream when the handler is closed unless it is sys.stderr then; logging.config.dictConfig, which the
# Snowflake CLI calls when tests/test_deploy.py runs it in-process, closes every handler. Under pytest's capture the
# stream would be pytest's own: the handler writes to the real stderr instead.
try:
    import absl.logging as _absl_logging

    _absl_logging.get_absl_handler().python_handler.stream = sys.__stderr__
except ImportError:  # pragma: no cover - rouge-score (and absl) not installed
    pass
