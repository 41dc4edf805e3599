"""Writing ``prep prepare``'s outputs: the JSONL files, input hashes, and the output directory, replaced only when
prep wrote it, by one atomic exchange."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from prep.dataset import Source
from prep.errors import InputError

OUTPUTS = ("train.jsonl", "validation.jsonl", "excluded.jsonl", "manifest.json")


def jsonl(records) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8", "surrogatepass")


def input_hashes(source: Source, path: Any) -> dict[str, Any]:
    """What identifies an input: its name, rows and kind, and the SHA-256 of the file (or of its pairs)."""
    info: dict[str, Any] = {"name": source.name, "rows": source.n_records, "kind": source.kind}
    if isinstance(path, (str, Path)) and Path(path).is_file():
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        info["sha256"] = digest.hexdigest()
        info["bytes"] = Path(path).stat().st_size
    else:
        digest = hashlib.sha256()
        for prompt, completion in source.frame.select("prompt", "completion").iter_rows():
            digest.update(json.dumps([prompt, completion], ensure_ascii=False).encode("utf-8", "surrogatepass"))
        info["sha256_of_pairs"] = digest.hexdigest()
    return info


def _is_prep_output(directory: Path) -> str | None:
    """Why ``directory`` is not an output prep wrote, or None when it is: it holds exactly prep's files (no
    others, no subdirectories) and a manifest that says prep wrote them."""
    names = sorted(p.name for p in directory.iterdir())
    foreign = [n for n in names if n not in OUTPUTS]
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3:,} more" if len(foreign) > 3 else "")
        return f"it holds files prep did not write ({shown})"
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "it has no manifest.json written by prep"
    if not isinstance(manifest, dict) or manifest.get("tool") != "prep":
        return "its manifest.json was not written by prep"
    return None


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def check_out_dir(out_dir: Path, force: bool, inputs: Sequence[Any] = ()) -> None:
    """Refuse an output location that prep must not write: a file, a non-empty directory without ``force``, and
    with ``force`` anything but a directory that prep itself wrote, or one that holds an input or the current
    directory. ``--force`` replaces prep's output; it never deletes anything else."""
    if out_dir.is_symlink():
        raise InputError(f"{out_dir}: is a symbolic link; give the directory itself as --out")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a directory")
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return
    if not force:
        raise InputError(f"{out_dir}: output directory is not empty; use --force to replace it")
    resolved = out_dir.resolve()
    for data in inputs:
        if isinstance(data, (str, Path)) and _inside(Path(data).resolve(), resolved):
            raise InputError(f"{out_dir}: holds the input {data}; --force would delete it (choose another --out)")
    if _inside(Path.cwd().resolve(), resolved):
        raise InputError(f"{out_dir}: is or contains the current directory; --force replaces only prep's output")
    why = _is_prep_output(out_dir)
    if why is not None:
        raise InputError(f"{out_dir}: not replaced: --force replaces only a directory prep wrote, and {why}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``, macOS
    ``renamex_np(RENAME_SWAP)``); False when this system or file system cannot."""
    import ctypes
    import ctypes.util
    import sys

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
            at_fdcwd, rename_exchange = -100, 2
            done = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
            done = libc.renamex_np(os.fsencode(a), os.fsencode(b), 2)
        else:
            return False
    except (OSError, AttributeError):
        return False
    if done == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(b))


def write_atomically(out_dir: Path, files: dict[str, bytes], force: bool, inputs: Sequence[Any] = ()) -> None:
    """Write ``files`` into a fresh directory beside ``out_dir``, then move it into place in one step: a new
    ``out_dir`` by one rename, an old one (prep's own output, see :func:`check_out_dir`) by one atomic exchange,
    so that ``out_dir`` is at every moment either the complete old output or the complete new one. Where the
    system cannot exchange directories, the old one is moved aside first (a crash between the two renames
    leaves it in a hidden ``.DIR.prep-old-*`` directory beside DIR)."""
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.prep-tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the output directory is an ordinary one
    try:
        for name, data in files.items():  # manifest.json last: a staging directory without it is incomplete
            partial = staging / f"{name}.partial"
            with open(partial, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            partial.rename(staging / name)
        _fsync_directory(staging)
        check_out_dir(out_dir, force, inputs)  # again: it may have changed while we worked
        target = parent / out_dir.name
        if target.is_dir():
            if _exchange(staging, target):  # staging now holds the old output
                _fsync_directory(parent)
                shutil.rmtree(staging, ignore_errors=True)
                return
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.prep-old-", dir=parent))
            os.rename(target, old / out_dir.name)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        elif target.exists():
            raise InputError(f"{out_dir}: exists and is not a directory")
        else:
            os.rename(staging, target)
        _fsync_directory(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
