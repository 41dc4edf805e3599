"""The test side of the Snowflake-runtime stand-in: the pinned environment, the import directory, the child run.

A procedure in Snowflake sees only its PACKAGES and IMPORTS, so the environment is a fresh venv (no system
site-packages, not even pip) holding what ``procs/definition.py`` pins and their dependencies, and prep is imported
only from the built code zip. The venv is cached in /tmp by a hash of the pins: the first run installs (network,
minutes), later runs take seconds.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFINITION = REPO / "procs" / "definition.py"
DRIVER = Path(__file__).with_name("driver.py")
DOUBLE = REPO / "tests" / "cortex_double.py"
# Bump when the way the venv is built changes, so a stale cache is not reused.
LAYOUT = 1
# FALLBACK, used only while procs/definition.py is absent: the distributions the handlers import at run time
# (procs/, prep/, rules/; presidio's e-mail recognizer needs tldextract, its phone one phonenumbers), pinned at
# the versions installed where the tests run. The real list is definition.PACKAGES, which wins whenever it exists.
FALLBACK_DISTRIBUTIONS = ("snowflake-snowpark-python", "polars", "numpy", "tiktoken", "sentencepiece", "ftfy",
                          "sqlglot", "presidio-analyzer", "spacy", "phonenumbers", "tldextract")


def pins() -> tuple[tuple[str, ...], str]:
    """The pinned packages and where they came from (the definition file, or the marked fallback)."""
    if DEFINITION.exists():
        # loaded by path: pure data, and the repo's procs package must not be imported for it
        return tuple(runpy.run_path(str(DEFINITION))["PACKAGES"]), str(DEFINITION.relative_to(REPO))
    return tuple(f"{name}=={metadata.version(name)}" for name in FALLBACK_DISTRIBUTIONS), "FALLBACK (no procs/definition.py)"


def environment(packages: tuple[str, ...], log=print) -> Path:
    """The python of a venv holding only ``packages`` (and what they depend on), built once per set of pins."""
    key = hashlib.sha256(json.dumps([LAYOUT, sorted(packages), sys.version, sys.executable]).encode()).hexdigest()[:16]
    root = Path("/tmp") / f"prep-sfenv-{key}"
    python = root / "bin" / "python"
    if (root / "COMPLETE").exists():
        return python
    # Built beside and renamed into place, so a run that dies half-way (or a concurrent one) never leaves a venv
    # that looks complete. A venv's python finds its site-packages relative to itself, so the rename is safe.
    build = Path(tempfile.mkdtemp(prefix=f"{root.name}.build-", dir="/tmp"))
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(build)], check=True)
        # The outer pip installs into the venv (--python): the venv itself holds no pip or setuptools, which
        # Snowflake's environment would not have unless pinned. Wheels only: the artifact repository builds nothing.
        install = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(build / "bin" / "python"), "install", "--no-input",
             "--disable-pip-version-check", "--only-binary=:all:", *packages],
            capture_output=True, text=True)
        if install.returncode:
            raise RuntimeError(f"pip could not install the pins:\n{install.stdout[-3000:]}\n{install.stderr[-3000:]}")
        freeze = subprocess.run([sys.executable, "-m", "pip", "--python", str(build / "bin" / "python"), "list",
                                 "--format=freeze", "--disable-pip-version-check"],
                                capture_output=True, text=True, check=True).stdout
        (build / "COMPLETE").write_text(freeze)
        try:
            build.rename(root)
        except OSError:  # another run finished first: use its venv
            if not (root / "COMPLETE").exists():
                raise
    finally:
        shutil.rmtree(build, ignore_errors=True)
    log(f"built {root}:\n{freeze}")
    return python


def import_directory(tmp: Path) -> Path:
    """``tmp/imports/`` laid out like a procedure's import directory: what tools/build_artifacts.py builds."""
    imports = tmp / "imports"
    done = subprocess.run([sys.executable, str(REPO / "tools" / "build_artifacts.py"), str(imports)], cwd=REPO,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"tools/build_artifacts.py failed:\n{done.stdout}\n{done.stderr}")
    return imports


def run_driver(python: Path, imports: Path, request: dict, timeout: float = 900) -> tuple[int, dict | None, str]:
    """Runs driver.py in the venv as Snowflake would run a handler; returns (exit code, report, stderr)."""
    home, tmpdir, cwd = (Path(tempfile.mkdtemp(prefix=f"prep-sf-{n}-", dir="/tmp")) for n in ("home", "tmp", "cwd"))
    # -I: no user site, no cwd or script folder on sys.path, PYTHON* ignored; -B: the packages are read-only there,
    # so no bytecode is written. The import directory is announced the way Snowflake announces it.
    command = [str(python), "-I", "-B", "-X", f"snowflake_import_directory={imports}/", str(DRIVER)]
    # Nothing of the caller's environment (PREP_TOKENIZER_DIR, PREP_PROCESSES, proxies); Snowflake offers /tmp only.
    env = {"HOME": str(home), "TMPDIR": str(tmpdir), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           # The child logs in over HTTP to make its session, which a procedure never does (Snowflake hands it
           # one); the connector's login probes cloud metadata addresses unless told not to, with its own switch.
           "SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true"}
    request = {**request, "imports": str(imports), "double": str(DOUBLE)}
    try:
        done = subprocess.run(command, input=json.dumps(request), capture_output=True, text=True, env=env, cwd=cwd,
                              timeout=timeout)
    finally:
        for folder in (home, tmpdir, cwd):
            shutil.rmtree(folder, ignore_errors=True)
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1]) if lines else None
    return done.returncode, report, done.stderr
