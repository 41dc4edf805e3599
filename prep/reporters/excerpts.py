"""Excerpts of rows for reports: short, on one line, with no personal data (see :func:`masked_excerpt`)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence

EXCERPT_CHARS = 160

_SCRUB = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|\b(?:\d{1,3}\.){3}\d{1,3}\b"  # IPv4
    r"|\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,8}\b"  # IBAN-shaped
    r"|\+?\(?\d(?:[\d ()./-]*\d){6,}"  # 7 digits or more, with separators: phones, cards, IDs
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _scrub(match: re.Match) -> str:
    value = match.group(0)
    if "@" in value:
        return "***@***"
    return re.sub(r"\d", "#", value)


def masked_excerpt(text: str | None, spans: Sequence[dict] = (), limit: int = EXCERPT_CHARS, skip: int = 0) -> str:
    """A short, one-line excerpt of ``text`` with no personal data: ``spans`` (PI001's detections, each with
    ``start``, ``end`` and ``masked``) replaced by their masked form, then e-mail-, number-, IP- and IBAN-shaped
    strings masked; control and bidi characters shown as U+FFFD. ``skip`` leaves out a prefix the rows share (a
    common instruction), shown as an ellipsis, unless a span starts in it."""
    if not text:
        return ""
    first = min((int(s["start"]) for s in spans), default=0)
    if first - skip > limit // 2:  # the excerpt shows the first detection, masked, with some text before it
        space = text.rfind(" ", 0, max(first - 40, 0))
        skip = space + 1 if space > skip else max(first - 40, skip)
    if skip and all(int(s["start"]) >= skip for s in spans):
        shift = 2 - skip  # the skipped prefix out, the two characters of "… " in
        spans = [{**s, "start": int(s["start"]) + shift, "end": int(s["end"]) + shift} for s in spans]
        text = "\u2026 " + text[skip:]
    text = text[: limit * 4 + max((int(s.get("end", 0)) for s in spans), default=0)]
    for span in sorted(spans, key=lambda s: -int(s["start"])):
        start, end = int(span["start"]), int(span["end"])
        if 0 <= start < end <= len(text):
            text = text[:start] + "\u27e8" + str(span.get("masked", "***")) + "\u27e9" + text[end:]
    text = _SCRUB.sub(_scrub, text)
    text = _CONTROL.sub("\ufffd", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def shared_prefix(texts: Sequence[str], least: int = 40) -> str:
    """The prefix to leave out of excerpts: the longest prefix (cut back to a word boundary, at least ``least``
    characters) that at least half of ``texts`` (two or more) share, such as a common instruction; else ""."""
    texts = [t for t in texts if isinstance(t, str) and len(t) >= least]
    if len(texts) < 2:
        return ""
    head, n = Counter(t[:least] for t in texts).most_common(1)[0]
    if n < 2 or 2 * n < len(texts):
        return ""
    prefix = os.path.commonprefix([t for t in texts if t.startswith(head)])
    cut = prefix.rfind(" ") + 1
    return prefix[:cut] if cut >= least else ""
