"""Values taken from the data, made safe to show: personal data masked, control characters escaped, length capped.

Every value a finding, a note, a report or a manifest quotes from the data (a label, a column name, a JSON key, a
chat role, a text snippet) passes through :func:`quote_values` first:

1. **PII is masked** exactly as PI001 masks its evidence (:func:`prep.measures.pii.mask`): the default detector (PI001's
   default entity types and scores, offline) runs over the values, and each detected span is replaced by its
   masked form (``alice.w.leak@corp-example.com`` becomes ``a***@c***.com``). Only values that meet a prefilter
   condition reach presidio, so quoting ordinary labels costs no analyzer.
2. **Control and format characters are escaped** (``\\x1b``, ``\\u202e``), so a value can never move the terminal's
   cursor, recolour it, set its title, or reorder the text around it (bidi overrides), and a message stays one line.
3. **Long values are cut** to ``limit`` characters, with an ellipsis.

Masking comes before cutting, so a cut never leaves a recognisable part of a value behind.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

LIMIT = 80  # characters of a quoted value
_ELLIPSIS = "\u2026"
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn")


@lru_cache(maxsize=1)
def default_detector():
    from prep.measures.pii import DEFAULT_ENTITIES, DEFAULT_THRESHOLDS, Detector

    return Detector(entities=DEFAULT_ENTITIES, thresholds=DEFAULT_THRESHOLDS)


def mask_pii(values: Sequence[str]) -> list[str]:
    """``values`` with every span the default PII detector finds replaced by its masked form."""
    import polars as pl

    if not values:
        return []
    found = default_detector().detect(pl.Series(list(values), dtype=pl.String), processes=1)
    out = list(values)
    for index, detections in found.items():
        text, pieces, cursor = out[index], [], 0
        for d in sorted(detections, key=lambda d: (d.start, -d.end)):
            if d.start < cursor:
                continue
            pieces += [text[cursor : d.start], d.masked]
            cursor = d.end
        out[index] = "".join(pieces) + text[cursor:]
    return out


def escape(text: str) -> str:
    """``text`` with control, format, separator, private-use and unassigned characters written as escapes (and
    backslashes doubled, so an escape in the output always means one): safe on a terminal, one line."""
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == " " or unicodedata.category(ch) not in _UNSAFE_CATEGORIES:
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + _ELLIPSIS


_CACHE: dict[tuple[str, int], str] = {}


def quote_values(values: Iterable[str], limit: int = LIMIT) -> list[str]:
    """Each value masked, cut to ``limit`` characters and escaped (see the module docstring)."""
    values = [v if isinstance(v, str) else str(v) for v in values]
    todo = list(dict.fromkeys(v for v in values if (v, limit) not in _CACHE))
    if todo:
        for raw, masked in zip(todo, mask_pii(todo)):
            if len(_CACHE) > 100_000:
                _CACHE.clear()
            _CACHE[raw, limit] = escape(_cut(masked, limit))
    return [_CACHE[v, limit] for v in values]


def quote(value: str, limit: int = LIMIT) -> str:
    """One value, as :func:`quote_values` shows it."""
    return quote_values([value], limit)[0]


def quoted_keys(counts: dict[str, int], limit: int = LIMIT) -> dict[str, int]:
    """A mapping from values to counts with its keys quoted; keys that become equal (two addresses that mask
    alike) stay apart with a ``#2``, ``#3`` suffix, so no count is merged or lost."""
    out: dict[str, int] = {}
    for key, shown in zip(counts, quote_values(counts, limit)):
        name, k = shown, 1
        while name in out:
            k += 1
            name = f"{shown} #{k}"
        out[name] = counts[key]
    return out


# Characters that act on a terminal or reorder text: C0 controls but tab and newline, DEL, C1 controls, zero-width
# and bidirectional controls, line and paragraph separators, the BOM, interlinear annotation.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def terminal_safe(text: str) -> str:
    """``text`` with every character that could act on a terminal written as a ``\\uXXXX`` escape: the last
    pass over everything prep prints. (In JSON output the escape means the same character.)"""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1,204 entries``: a count with its noun in the right number."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
