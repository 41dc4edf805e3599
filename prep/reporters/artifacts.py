"""The files behind a report, as code-scanning tools name them.

GitHub code scanning keys alerts by a path relative to the repository root, so a path must come out the same
however it was typed and from whichever directory prep ran. :func:`locate` gives it: relative to the root of the
git repository holding the file (the nearest folder upwards with ``.git``), else to the working directory when
the file is under it; a file under neither is named by its absolute ``file://`` URI. A name with no file behind
it (a polars frame, standard input) is kept as given.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

SRCROOT = "%SRCROOT%"  # the uriBaseId GitHub's own examples use for the checkout


@dataclass(frozen=True)
class Artifact:
    name: str  # the source's name, as the other formats print it
    path: str  # the file relative to ``root`` (posix), or the name as given when there is no root
    root: str | None  # absolute folder ``path`` is relative to, or None
    exists: bool

    @property
    def uri(self) -> str:
        """A URI reference: relative (percent-encoded) under ``root``, else ``file://`` for a real file."""
        if self.root is not None or not self.exists:
            return quote(self.path, safe="/")
        return Path(self.path).as_uri()


@lru_cache(maxsize=256)
def _repository_root(folder: str) -> str | None:
    for candidate in (Path(folder), *Path(folder).parents):
        if (candidate / ".git").exists():
            return str(candidate)
    return None


def locate(name: str, kind: str = "jsonl") -> Artifact:
    """Where the source called ``name`` is, for reports that point at files (see the module's doc)."""
    if kind == "frame" or not Path(name).is_file():
        return Artifact(name=name, path=Path(name).as_posix(), root=None, exists=False)
    absolute = Path(os.path.abspath(name))
    for root in (_repository_root(str(absolute.parent)), os.getcwd()):
        if root is None:
            continue
        try:
            return Artifact(name=name, path=absolute.relative_to(root).as_posix(), root=root, exists=True)
        except ValueError:
            continue
    return Artifact(name=name, path=absolute.as_posix(), root=None, exists=True)


def file_sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's bytes, read in chunks (a 1 GB file takes about two seconds)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
