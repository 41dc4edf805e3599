"""Opening an input as a bounded byte stream, and splitting it into lines without ever holding a huge one.

- Only regular files are read: a FIFO would block forever, a device (``/dev/zero``) never ends, a directory or a
  socket is not data. ``stat`` follows symlinks, so a link to a device is refused too, before anything is opened.
- gzip input is decompressed as a stream, and refused once it grows past ``max_input_bytes``: a 3 MB bomb never
  becomes 40 GB in memory. A corrupt or truncated member is an input error that says where it broke.
- The first bytes are sniffed for text that is not UTF-8 (UTF-16 and UTF-32, with or without a byte-order mark,
  and binary data full of NUL bytes), so the error names the encoding instead of reporting every record as broken.
- :func:`iter_lines` yields one line at a time, and a line longer than ``max_record_bytes`` is skipped as it
  streams past (only its length is kept), so one 4 GB "record" costs no more memory than a short one.
"""

from __future__ import annotations

import gzip
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from prep.errors import InputError

BLOCK = 8 << 20  # bytes read at a time
MIB = 1 << 20


@dataclass(frozen=True)
class ReadLimits:
    """How much a reader takes in: a record longer than ``max_record_bytes`` is reported, not read; gzip input that
    decompresses to more than ``max_input_bytes`` is refused."""

    max_record_bytes: int = 64 * MIB
    max_input_bytes: int = 2_000_000_000


def _kind_of(mode: int) -> str | None:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_regular_file(path: Path, display: str) -> int:
    """The size of ``path``, a regular file (symlinks followed), or an :class:`InputError` saying what it is."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.lexists(path):
            raise InputError(f"{display}: is a broken symbolic link") from None
        raise InputError(f"{display}: no such file") from None
    except OSError as exc:
        raise InputError(f"{display}: cannot read file: {exc.strerror or exc}") from None
    kind = _kind_of(info.st_mode)
    if kind is not None:
        raise InputError(f"{display}: is {kind}, expected a regular data file")
    return info.st_size


class BoundedGzip:
    """A gzip file's decompressed bytes, read in blocks; over ``limit`` bytes or on corrupt data, an input error."""

    def __init__(self, handle: BinaryIO, display: str, limit: int) -> None:
        self._gzip = gzip.GzipFile(fileobj=handle, mode="rb")
        self.display, self.limit, self.total = display, limit, 0

    def read(self, size: int = BLOCK) -> bytes:
        try:
            data = self._gzip.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            what = "truncated" if isinstance(exc, EOFError) else "corrupt"
            raise InputError(
                f"{self.display}: {what} gzip data after {self.total:,} decompressed bytes ({exc}); the file is damaged"
            ) from None
        self.total += len(data)
        if self.total > self.limit:
            raise InputError(
                f"{self.display}: decompresses to more than {self.limit:,} bytes (max-input-bytes), more than a "
                "training file for these models can hold: refused as a likely gzip bomb (raise max-input-bytes "
                "to read it anyway)"
            )
        return data

    def close(self) -> None:
        self._gzip.close()


class Plain:
    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle

    def read(self, size: int = BLOCK) -> bytes:
        return self._handle.read(size)

    def close(self) -> None:
        pass


def open_stream(path: Path, display: str, limits: ReadLimits) -> tuple[BinaryIO, Plain | BoundedGzip]:
    """(the open file, a reader of its decompressed bytes). The caller closes the file."""
    check_regular_file(path, display)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise InputError(f"{display}: cannot read file: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".gz":
        return handle, BoundedGzip(handle, display, limits.max_input_bytes)
    return handle, Plain(handle)


def read_all(stream: Plain | BoundedGzip, display: str) -> bytes:
    """Every (decompressed) byte of a stream: for formats that need the whole file (JSON arrays, Parquet)."""
    parts = []
    while True:
        try:
            block = stream.read(BLOCK)
        except OSError as exc:
            raise InputError(f"{display}: cannot read file: {exc.strerror or exc}") from None
        if not block:
            return b"".join(parts)
        parts.append(block)


_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 BE"),
    (b"\xff\xfe\x00\x00", "UTF-32 LE"),
    (b"\xfe\xff", "UTF-16 BE"),
    (b"\xff\xfe", "UTF-16 LE"),
)


def sniff_text(head: bytes, display: str) -> None:
    """Refuse text that is not UTF-8, by its first bytes, with the encoding named (or compression: a file gzipped
    twice, or gzipped without its .gz suffix)."""
    if head.startswith(b"\x1f\x8b"):
        raise InputError(
            f"{display}: holds gzip-compressed data (after any .gz decompression): gzipped twice, or gzipped without "
            "a .gz suffix; decompress it first"
        )
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise InputError(
                f"{display}: is {name} text (byte-order mark {bom.hex(' ').upper()}); prep reads UTF-8: convert it "
                f"first, e.g. iconv -f {name.replace(' ', '')} -t UTF-8"
            )
    sample = head[:4096]
    if len(sample) < 16:
        return
    nul = sample.count(0)
    if nul * 4 < len(sample):
        return  # a few NUL bytes are a record's problem (TX001), not the file's
    quarters = [sample[k::4].count(0) / max(1, len(sample[k::4])) for k in range(4)]
    if quarters[0] < 0.2 and min(quarters[1:]) > 0.8:
        name = "UTF-32 LE"
    elif quarters[3] < 0.2 and min(quarters[:3]) > 0.8:
        name = "UTF-32 BE"
    else:
        name = None
    if name is not None:
        raise InputError(
            f"{display}: looks like {name} text without a byte-order mark (three bytes in four are NUL); prep reads "
            f"UTF-8: convert it first, e.g. iconv -f {name.replace(' ', '')} -t UTF-8"
        )
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.8 * len(sample[1::2]) and even < 0.2 * len(sample[0::2]):
        name = "UTF-16 LE"
    elif even > 0.8 * len(sample[0::2]) and odd < 0.2 * len(sample[1::2]):
        name = "UTF-16 BE"
    else:
        raise InputError(f"{display}: holds binary data ({nul:,} NUL bytes in its first {len(sample):,}), not UTF-8 text")
    raise InputError(
        f"{display}: looks like {name} text without a byte-order mark (every other byte is NUL); prep reads UTF-8: "
        f"convert it first, e.g. iconv -f {name.replace(' ', '')} -t UTF-8"
    )


@dataclass
class Segment:
    """Consecutive physical lines starting at 1-based line ``first``: ``data`` holds them, each ending in ``\n``
    but perhaps the last line of the input; or one line over the limit (``data`` None, ``size`` its length)."""

    first: int
    data: bytes | None
    size: int = 0

    def lines(self) -> list[bytes]:
        """The lines, without their ``\n`` (a ``\r`` before it stays)."""
        if self.data is None:
            return []
        parts = self.data.split(b"\n")
        if self.data.endswith(b"\n"):
            parts.pop()
        return parts

    def solid_lines(self, blank: bytes = b"") -> Iterator[tuple[int, int, int]]:
        """(line number, start, end) of each line holding a byte other than ``blank`` ones, skipping the rest
        in C: a segment of nothing but blank lines (millions of them, in a bomb) costs one ``translate``."""
        data = self.data
        if not data or not data.translate(None, blank + b"\n"):
            return
        pattern = _SOLID.get(blank)
        if pattern is None:
            pattern = _SOLID[blank] = re.compile(rb"^[" + re.escape(blank) + rb"]*[^\n" + re.escape(blank) + rb"][^\n]*", re.M) if blank else re.compile(rb"^[^\n]+", re.M)
        number, seen = self.first, 0
        for m in pattern.finditer(data):
            number += data.count(b"\n", seen, m.start())
            seen = m.start()
            yield number, m.start(), m.end()

    @property
    def line_count(self) -> int:
        if self.data is None:
            return 1
        return self.data.count(b"\n") + (0 if self.data.endswith(b"\n") else 1)


_SOLID: dict[bytes, re.Pattern[bytes]] = {}


def iter_segments(stream: Plain | BoundedGzip, max_bytes: int, head: bytes = b"") -> Iterator[Segment]:
    """The input as segments of whole lines, about ``BLOCK`` bytes each, read a block at a time; ``head`` is data
    already read from the stream. A line that grows past ``max_bytes`` before its newline is not kept: its bytes
    are dropped as they arrive, and it is yielded alone as an oversize segment. (A segment may still hold a line
    of up to ``max_bytes + BLOCK`` bytes; readers check each line's length.)"""
    line = 1  # the number of the first line not yet yielded
    carry: list[bytes] = []  # the start of a line that continues in the next block (joined once, when it ends)
    carried = 0
    skipped = -1  # while skipping an oversize line: the bytes seen so far
    block = head or stream.read(BLOCK)
    while block:
        if skipped >= 0:
            end = block.find(b"\n")
            if end < 0:
                skipped += len(block)
                block = stream.read(BLOCK)
                continue
            yield Segment(line, None, skipped + end)
            line, skipped, block = line + 1, -1, block[end + 1 :]
            continue
        last = block.rfind(b"\n")
        if last < 0:
            if carried + len(block) > max_bytes:
                skipped, carry, carried = carried + len(block), [], 0
            else:
                carry.append(block)
                carried += len(block)
            block = stream.read(BLOCK)
            continue
        rest = block[last + 1 :]
        carry.append(block[: last + 1] if last + 1 < len(block) else block)
        del block
        segment = Segment(line, b"".join(carry) if len(carry) > 1 else carry[0])
        carry, carried = [], 0
        line += segment.data.count(b"\n")
        yield segment
        del segment  # the consumer holds the only reference now
        if len(rest) > max_bytes:
            skipped, rest = len(rest), b""
        elif rest:
            carry, carried = [rest], len(rest)
        block = stream.read(BLOCK)
    if skipped >= 0:
        yield Segment(line, None, skipped)
    elif carry:
        yield Segment(line, b"".join(carry))
