"""Checks that every package pinned in procs/definition.py (PACKAGES) can be installed from a binary wheel by
Snowflake's Python 3.11 runtime, on manylinux x86_64 and aarch64.

For each pin and architecture it runs

    pip download --no-deps --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311
                 --platform <tag> -d <tmp> <pin>

with the tags manylinux2014, manylinux_2_17 and manylinux_2_28 in that order (a pure-Python wheel counts), and
reports the first tag that gave a wheel. An exact ``==`` requirement inside a downloaded wheel is checked the same
way (polars 1.34+ is a pure-Python wheel that pins its compiled ``polars-runtime-32``), and the pins are checked
against each other's requirements. Prints a table; exits 1 naming every pin without a wheel.

    python tools/check_wheels.py              # needs the network (the package index)
    python tools/check_wheels.py --resolve    # also resolve all pins together, with their dependencies, per arch

pip runs without the local pip configuration (no extra indexes, find-links or constraints): what is checked is
the public index that Snowflake's PyPI artifact repository serves. ``--index-url`` points it at a mirror instead.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from prep.procs import definition  # noqa: E402

PYTHON = definition.RUNTIME_VERSION
ARCHES = ("x86_64", "aarch64")
TAGS = ("manylinux2014", "manylinux_2_17", "manylinux_2_28")


@dataclass
class Result:
    pin: str
    required_by: str | None = None
    found: dict[str, str] = field(default_factory=dict)  # arch -> tag that worked ("any" for a pure wheel)
    wheels: dict[str, Path] = field(default_factory=dict)  # arch -> downloaded wheel

    @property
    def missing(self) -> list[str]:
        return [arch for arch in ARCHES if arch not in self.found]


def _pip_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_NO_INDEX", "PIP_CONSTRAINT")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _pip_download(args: list[str], dest: Path, index_url: str | None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--python-version", PYTHON,
               "--implementation", "cp", "--abi", "cp" + PYTHON.replace(".", ""), "-d", str(dest), *args]
    if index_url:
        command += ["--index-url", index_url]
    return subprocess.run(command, capture_output=True, text=True, env=_pip_env())


def _wheel_for(pin: str, arch: str, work: Path, index_url: str | None) -> tuple[str, Path] | None:
    name = canonicalize_name(Requirement(pin).name)
    for tag in TAGS:
        dest = work / f"{name}-{arch}-{tag}"
        dest.mkdir(parents=True, exist_ok=True)
        done = _pip_download(["--no-deps", "--platform", f"{tag}_{arch}", pin], dest, index_url)
        wheels = sorted(dest.glob("*.whl"))
        if done.returncode == 0 and wheels:
            platforms = {t.platform for t in parse_wheel_filename(wheels[0].name)[3]}
            return ("any" if platforms == {"any"} else tag), wheels[0]
    return None


def _requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode("utf-8")
    return [Requirement(line.split(":", 1)[1].strip()) for line in text.splitlines()
            if line.startswith("Requires-Dist:")]


def _environment(arch: str) -> dict[str, str]:
    env = default_environment()
    env.update(python_version=PYTHON, python_full_version=PYTHON + ".0", implementation_name="cpython",
               platform_python_implementation="CPython", sys_platform="linux", platform_system="Linux",
               os_name="posix", platform_machine=arch, extra="")
    return env


def _applies(req: Requirement, arch: str) -> bool:
    return req.marker is None or req.marker.evaluate(_environment(arch))


def check(index_url: str | None = None) -> tuple[list[Result], list[str]]:
    """Every pin's result (exact companions after the pin that requires them) and the conflicts between pins."""
    results: list[Result] = []
    queue = [(pin, None) for pin in definition.PACKAGES]
    seen = set()
    with tempfile.TemporaryDirectory(prefix="check-wheels-") as tmp:
        while queue:
            pin, parent = queue.pop(0)
            if canonicalize_name(Requirement(pin).name) in seen:
                continue
            seen.add(canonicalize_name(Requirement(pin).name))
            result = Result(pin, parent)
            for arch in ARCHES:
                found = _wheel_for(pin, arch, Path(tmp), index_url)
                if found:
                    result.found[arch], result.wheels[arch] = found
            companions = []
            for arch, wheel in result.wheels.items():
                for req in _requirements(wheel):
                    exact = [s for s in req.specifier if s.operator == "=="]
                    if _applies(req, arch) and exact and len(req.specifier) == 1:
                        companion = f"{req.name}=={exact[0].version}"
                        if companion not in companions:
                            companions.append(companion)
            results.append(result)
            queue[0:0] = [(c, pin) for c in companions]  # checked right after the pin that requires them
        conflicts = _conflicts(results)
    return results, conflicts


def _conflicts(results: list[Result]) -> list[str]:
    versions = {canonicalize_name(Requirement(r.pin).name): next(iter(Requirement(r.pin).specifier)).version
                for r in results}
    out = []
    for r in results:
        for arch, wheel in r.wheels.items():
            for req in _requirements(wheel):
                name = canonicalize_name(req.name)
                if name in versions and _applies(req, arch) and not req.specifier.contains(versions[name],
                                                                                            prereleases=True):
                    line = f"{r.pin} requires {req} ({arch}), pinned {req.name}=={versions[name]}"
                    if line not in out:
                        out.append(line)
    return out


def resolve(index_url: str | None = None) -> dict[str, str]:
    """All pins at once, with their dependencies, per architecture: '' if pip resolved them to wheels only, else
    pip's last lines."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="check-wheels-resolve-") as tmp:
        for arch in ARCHES:
            platforms = [a for tag in TAGS for a in ("--platform", f"{tag}_{arch}")]
            done = _pip_download([*platforms, *definition.PACKAGES], Path(tmp) / arch, index_url)
            out[arch] = "" if done.returncode == 0 else "\n".join((done.stdout + done.stderr).strip().splitlines()[-3:])
    return out


def _installed(pin: str) -> str:
    try:
        return importlib.metadata.version(Requirement(pin).name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def table(results: list[Result]) -> str:
    rows = [("pin", *ARCHES, "installed here")]
    for r in results:
        label = r.pin if r.required_by is None else f"  {r.pin} (pinned by {Requirement(r.required_by).name})"
        rows.append((label, *(r.found.get(a, "NO WHEEL") for a in ARCHES), _installed(r.pin)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-url", help="the package index to check (default: pip's own, without local config)")
    parser.add_argument("--resolve", action="store_true",
                        help="also resolve all pins together with their dependencies, wheels only, per arch")
    args = parser.parse_args(argv)
    results, conflicts = check(args.index_url)
    print(f"CPython {PYTHON} wheels for procs/definition.py's PACKAGES (first manylinux tag that worked; "
          f"'any': pure Python)")
    print(table(results))
    failed = False
    missing = [f"{r.pin} ({', '.join(r.missing)})" for r in results if r.missing]
    if missing:
        print(f"no CPython {PYTHON} wheel for: {'; '.join(missing)}", file=sys.stderr)
        failed = True
    for line in conflicts:
        print(f"conflicting pins: {line}", file=sys.stderr)
        failed = True
    if args.resolve:
        for arch, problem in resolve(args.index_url).items():
            print(f"all pins with their dependencies, {arch}: {'resolved to wheels' if not problem else 'FAILED'}")
            if problem:
                print(problem, file=sys.stderr)
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
