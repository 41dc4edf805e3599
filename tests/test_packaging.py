"""What pip installs: one top-level import name, ``prep``, with the repository's ``rules/`` and ``procs/`` inside
it as ``prep.rules`` and ``prep.procs``, so no top-level ``rules`` or ``procs`` collides with another project's."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import tomllib

from tests.conftest import REPO


def setuptools_table() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def test_every_package_folder_is_listed_under_its_installed_name():
    table = setuptools_table()
    folders = {"prep": "prep", "rules": "prep.rules", "procs": "prep.procs"}
    assert table["package-dir"] == {installed: folder for folder, installed in folders.items()}
    found = {
        ".".join([folders[init.relative_to(REPO).parts[0]], *init.relative_to(REPO).parts[1:-1]])
        for folder in folders for init in (REPO / folder).rglob("__init__.py") if "__pycache__" not in init.parts
    }
    assert set(table["packages"]) == found


# builds a wheel: about 2 s, offline (no build isolation)
def test_the_wheel_holds_one_top_level_package(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("prep_cortex-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"prep"}
    assert {"prep/rules/du001_exact_duplicate.py", "prep/procs/lint.py", "prep/data/models.toml"} <= set(names)
    assert "prep/py.typed" in names  # PEP 561: type checkers use prep's annotations
    top_level = next(n for n in names if n.endswith(".dist-info/top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["prep"]


def test_the_rule_pack_and_the_procedures_import_under_prep():
    import prep.procs.definition
    import prep.rules.du001_exact_duplicate

    assert prep.rules.du001_exact_duplicate.__file__.startswith(str(REPO / "rules"))
    assert prep.procs.definition.__file__.startswith(str(REPO / "procs"))
