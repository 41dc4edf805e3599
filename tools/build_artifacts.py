"""Builds what the stored procedures import (procs/definition.py: IMPORTS), into build/snowflake/:

- ``prep_code.zip``: the package ``prep`` with ``rules/`` and ``procs/`` inside it as ``prep/rules`` and
  ``prep/procs``, as pip installs them (Python files and prep's data files), without
  the command line (``prep/cli.py``, which no handler imports);
- ``llama3-tokenizer.model`` and ``mistral-v1-tokenizer.model``: the tokenizer files, copied from the installed
  ``llama-models`` and ``mistral-common`` packages (prep.tokenizers finds them in the import directory, so the
  procedures need neither package).

    python tools/build_artifacts.py            # then: snow snowpark deploy --replace (see snowflake.yml)

Nothing else is built: the packages are installed by Snowflake from the artifact repository, so the Snowflake
CLI's ``snow snowpark build`` is not needed.
"""

from __future__ import annotations

import importlib.resources
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from prep.procs import definition  # noqa: E402

OUT = ROOT / definition.BUILD_DIR
TOKENIZERS = {
    "llama3-tokenizer.model": ("llama_models", ("llama3", "tokenizer.model")),
    "mistral-v1-tokenizer.model": ("mistral_common", ("data", "tokenizer.model.v1")),
}
if tuple(TOKENIZERS) != definition.TOKENIZER_FILES:
    raise SystemExit(f"procs/definition.py imports {definition.TOKENIZER_FILES}, this builds {tuple(TOKENIZERS)}")
NOT_ZIPPED = {"prep/cli.py"}
# repository folder -> the package it is installed as (pyproject.toml's package-dir)
PACKAGES = {"prep": "prep", "rules": "prep.rules", "procs": "prep.procs"}  # the command line: click, terminal output; no handler imports it


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    archive = out / definition.CODE_ZIP
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder, package in PACKAGES.items():
            for path in sorted((ROOT / folder).rglob("*")):
                name = path.relative_to(ROOT).as_posix()
                if (path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".toml")
                        and name not in NOT_ZIPPED):
                    # as installed: rules/x.py is prep/rules/x.py, imported as prep.rules.x
                    inside = "/".join([*package.split("."), *path.relative_to(ROOT / folder).parts])
                    info = zipfile.ZipInfo(inside, date_time=(2020, 1, 1, 0, 0, 0))
                    zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    written = [archive]
    for name, (package, parts) in TOKENIZERS.items():
        resource = importlib.resources.files(package)
        for part in parts:
            resource = resource / part
        target = out / name
        target.write_bytes(resource.read_bytes())
        written.append(target)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size:,} bytes)")
