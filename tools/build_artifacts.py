"""Builds what the stored procedures import, into build/snowflake/:

- ``prep_code.zip``: the packages ``prep``, ``rules`` and ``procs`` (Python files and prep's data files);
- ``llama3-tokenizer.model`` and ``mistral-v1-tokenizer.model``: the tokenizer files, copied from the installed
  ``llama-models`` and ``mistral-common`` packages (prep.tokenizers finds them in the import directory, so the
  procedures need neither package).

    python tools/build_artifacts.py            # then: snow snowpark deploy --replace (see snowflake.yml)
"""

from __future__ import annotations

import importlib.resources
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "snowflake"
TOKENIZERS = {
    "llama3-tokenizer.model": ("llama_models", ("llama3", "tokenizer.model")),
    "mistral-v1-tokenizer.model": ("mistral_common", ("data", "tokenizer.model.v1")),
}


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    archive = out / "prep_code.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for package in ("prep", "rules", "procs"):
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".toml"):
                    info = zipfile.ZipInfo(str(path.relative_to(ROOT)), date_time=(2020, 1, 1, 0, 0, 0))
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
