"""Phone numbers in windows: the same results as presidio's PhoneRecognizer, from the few parts of a text that can
hold a number (the argument below), with the texts of a batch scanned at once in numpy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from prep.measures.pii.prefilter import PHONE_REGIONS, PHONE_REGIONS_WITH_DE

# --- phone numbers in windows -------------------------------------------------------------------------------------
# presidio's PhoneRecognizer runs phonenumbers' matcher over the whole text once per region, and the matcher parses
# every run of digits it meets (amounts, years, dates, order numbers) in every region: most of the time of PII
# detection. The windowed recognizer gives the same results from the few parts of a text that can hold a number.
#
# 1. A candidate of the matcher (a match of its pattern) is made of digits, its punctuation and lead characters
#    ("core" characters, matched case-insensitively like the pattern), and at most one extension part (a match of
#    its extension patterns: ";ext=", "ext.", "x", "#", "int", ... then digits). Mark every span of text that some
#    extension match covers (searched from every position); every other non-core character is "hard" and lies in
#    no candidate. So every candidate lies inside one run of core or covered characters.
# 2. A valid number has at least _phone_min_digits() digits (fewer with a plus sign than without), all inside its
#    run: runs with fewer are skipped.
# 3. What the matcher decides about a candidate depends on the candidate, the character before it and the three
#    after it (the next character must not be a letter; a timestamp-looking candidate followed by ":[0-5]\d" is
#    skipped). A window of the run with one character before it and three after it gives the same decisions at
#    the same offsets once shifted; the at most two characters after the hard one hold too few digits to form a
#    number of their own.
# 4. The matcher gives up after 65535 tries per text and region; the windows must not find numbers that the whole
#    text's matcher would have given up before. The tries of the whole text are the sum of the tries in its runs
#    (by 1. and 3.): counted in the windows, and bounded from above in the skipped runs, where no number can be
#    valid (a candidate costs one try, plus, for each of the six inner-match patterns, one for the part before its
#    first hit and one per hit). A cheaper bound comes first: a candidate costs at most 7 + 6 * its length tries,
#    candidates start at increasing positions inside runs with a digit (total length S) and only overlap after a
#    match or at a "/ x" second-number start (k events, each overlapping by at most the longest run R), so a text
#    makes at most 13 * (S + k * R) tries. If neither bound keeps clear of the limit, the text is searched whole.
#
# Windows repeat (the same date on every line of a log, the same order number format): their matches are cached.
# The windowed recognizer is used only with the phonenumbers pattern this was derived from (_VERIFIED_PATTERN).
_VERIFIED_PATTERN = "5f33cbb4dbd7606d"  # sha256 of phonenumbers' _PATTERN (pattern + flags), phonenumbers 8.13 - 9.0
_MAX_TRIES = 65_535
_DIGIT = re.compile(r"\d")


def _phone_min_digits(regions: Sequence[str]) -> tuple[int, int] | None:
    """The fewest digits a valid number can have in text, for these default regions, when written with a plus
    sign and without one; None if not derived.

    A number written with + has at least 6: a country code and the shortest national number of any country (AT,
    DE, IR: 2 + 4). Without +, it is written nationally, with at least 7 digits in US GB FR IL IN CA BR and 4 in
    DE, or after an international prefix of at least two digits (00, 011), so with at least 8.
    tests/test_pii.py derives these from phonenumbers' metadata.
    """
    if set(regions) <= set(PHONE_REGIONS):
        return 6, 7
    if set(regions) <= set(PHONE_REGIONS_WITH_DE):
        return 4, 4
    return None


@lru_cache(maxsize=1)
def _phone_patterns() -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """Runs of core characters, and every extension match (from any position); None if the installed phonenumbers
    is not the one the windowing argument was made for."""
    import hashlib
    import inspect

    from phonenumbers import PhoneNumberMatcher
    from phonenumbers import phonenumbermatcher as pm

    try:
        pattern = pm._PATTERN
        digest = hashlib.sha256((pattern.pattern + str(pattern.flags)).encode()).hexdigest()[:16]
        max_tries = inspect.signature(PhoneNumberMatcher.__init__).parameters["max_tries"].default
        if digest != _VERIFIED_PATTERN or len(pm._INNER_MATCHES) > 6 or max_tries != _MAX_TRIES:
            return None
        core = re.compile(rf"[{pm._VALID_PUNCTUATION}{pm._LEAD_CLASS_CHARS}\d]+", pattern.flags)
        extension = re.compile(rf"(?=({pm._EXTN_PATTERNS_FOR_MATCHING}))", pattern.flags)
    except (AttributeError, KeyError, TypeError, ValueError, re.error):
        return None
    return core, extension


# The extension patterns the scan below was derived from, and the characters every alternative but the last must
# contain (";ext=", "x"/"ｘ" of the "ext" and "anexo" words, "доб", "x # ~", "int"); the last, "[- ]+(\d{1,6})#",
# needs a "#" right after its digits.
_VERIFIED_EXTENSION = "58b1b32d2e6ff94d"  # sha256 of phonenumbers' _EXTN_PATTERNS_FOR_MATCHING
_EXTENSION_KEYS = ";x#~\u0434i\uff58\uff03\uff5e\uff49"


def _literal_chars(pattern: str, flags: int) -> str | None:
    """Every literal character of a pattern made of literals, character classes and \\d, repeats, groups and
    alternatives; None if it uses anything else."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as parser  # type: ignore[no-redef]
    from re import _constants as c  # type: ignore[attr-defined]

    chars: set[str] = set()

    def walk(items) -> bool:
        for op, av in items:
            if op is c.LITERAL:
                chars.add(chr(av))
            elif op is c.IN:
                for item_op, item in av:
                    if item_op is c.LITERAL:
                        chars.add(chr(item))
                    elif item_op is c.RANGE:
                        chars.update(map(chr, range(item[0], item[1] + 1)))
                    elif not (item_op is c.CATEGORY and item is c.CATEGORY_DIGIT):
                        return False
            elif op is c.SUBPATTERN:
                if not walk(av[3]):
                    return False
            elif op is c.BRANCH:
                if not all(walk(branch) for branch in av[1]):
                    return False
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
                if not walk(av[2]):
                    return False
            else:
                return False
        return True

    try:
        ok = walk(parser.parse(pattern, flags))
    except Exception:  # noqa: BLE001 - a parser we do not know: not derived
        return None
    return "".join(sorted(chars)) if ok else None


@lru_cache(maxsize=1)
def _char_tables() -> _CharTables | None:
    """Character classes for scanning texts as numpy arrays (tables over the Basic Multilingual Plane, the regex
    itself above it): phonenumbers' core characters, decimal digits, the characters an extension match can hold
    before its digits (``prefix``) and the keys one of them must hold (``key``), whitespace and dashes; all under
    the matcher's own regex flags. None if the installed phonenumbers is not the one this was derived for."""
    import hashlib

    patterns = _phone_patterns()
    if patterns is None:
        return None
    from phonenumbers import phonenumbermatcher as pm

    extension = pm._EXTN_PATTERNS_FOR_MATCHING
    if hashlib.sha256(extension.encode()).hexdigest()[:16] != _VERIFIED_EXTENSION:
        return None
    flags = pm._PATTERN.flags
    prefix = _literal_chars(extension, flags)
    if prefix is None or set(_EXTENSION_KEYS) - set(prefix):
        return None
    regexes = {
        "core": patterns[0],
        "digit": re.compile(r"\d+", flags),
        "prefix": re.compile(_char_class(prefix), flags),
        "key": re.compile(_char_class(_EXTENSION_KEYS), flags),
        "space": re.compile(r"\s+", flags),
        "dash": re.compile("[\u2012-\u2015\uff0d]+", flags),
    }
    bmp = "".join(map(chr, range(_BMP)))
    tables = {}
    for name, regex in regexes.items():
        table = tables[name] = np.zeros(_BMP, dtype=bool)
        for m in regex.finditer(bmp):
            table[m.start() : m.end()] = True
    if (tables["prefix"] & tables["digit"]).any():
        return None
    return _CharTables(tables, regexes)


_BMP = 0x10000


def _char_class(chars: str) -> str:
    return "[" + "".join(re.escape(ch) for ch in chars) + "]+"


class _CharTables:
    """Lookup tables over the Basic Multilingual Plane; code points above it (emoji, rare digits) are classified
    with the regex itself, once each."""

    def __init__(self, tables: dict[str, np.ndarray], regexes: dict[str, re.Pattern[str]]) -> None:
        self.tables, self.regexes = tables, regexes
        self._astral: dict[tuple[str, int], bool] = {}

    def __call__(self, name: str, codes: np.ndarray, astral: np.ndarray | None) -> np.ndarray:
        table = self.tables[name]
        if astral is None or not len(astral):
            return table[codes]
        out = table[np.minimum(codes, _BMP - 1)]
        for position in astral.tolist():
            code = int(codes[position])
            key = (name, code)
            if key not in self._astral:
                self._astral[key] = self.regexes[name].fullmatch(chr(code)) is not None
            out[position] = self._astral[key]
        return out


@dataclass
class PhoneRuns:
    """The runs of a text that can hold a phone number, and what the tries bound needs of the others."""

    runs: list[tuple[int, int]]  # (start, end) of each run with enough digits
    skipped: list[tuple[int, int]]  # the runs with a digit but too few
    total: int  # S: total length of the runs with a digit
    longest: int  # R: the longest of them


# Below this length the regex scan is faster than numpy's per-call overhead; above it numpy is (5-7x on logs).
NUMPY_SCAN_MIN_CHARS = 2_000


def phone_runs(text: str, min_digits: tuple[int, int]) -> PhoneRuns:
    """The runs of ``text`` that can hold a phone number: maximal runs of core characters or characters covered by
    an extension match, with at least ``min_digits`` digits (the first figure if the run has a plus sign, the
    second if not). Requires :func:`_char_tables`. Two scans give the same runs (tests compare them): with
    regexes for short texts, over a numpy array of code points for long ones."""
    if len(text) >= NUMPY_SCAN_MIN_CHARS:
        return _scan_numpy(text, min_digits)
    return _scan_regex(text, min_digits)


def _scan_regex(text: str, min_digits: tuple[int, int]) -> PhoneRuns:
    """Extension matches searched from every position; covered characters turned into core ones; core runs."""
    core, extension = _phone_patterns()  # type: ignore[misc]
    covered = [m.span(1) for m in extension.finditer(text) if m.end(1) > m.start(1)]
    if covered:  # extension characters count as core: blank them with a core non-digit, digits counted from text
        chars, cursor = [], 0
        for start, end in covered:
            start = max(start, cursor)
            if end > start:
                chars += [text[cursor:start], "." * (end - start)]
                cursor = end
        chars.append(text[cursor:])
        scanned = "".join(chars)
    else:
        scanned = text
    runs, skipped, total, longest = [], [], 0, 0
    for run in core.finditer(scanned):
        start, end = run.span()
        digits = len(_DIGIT.findall(text, start, end))
        if not digits:
            continue
        total += end - start
        longest = max(longest, end - start)
        plus = "+" in text[start:end] or "\uff0b" in text[start:end]
        (runs if digits >= min_digits[0 if plus else 1] else skipped).append((start, end))
    return PhoneRuns(runs, skipped, total, longest)


def _scan_numpy(text: str, min_digits: tuple[int, int]) -> PhoneRuns:
    return scan_many([text], min_digits)[0]


_SEPARATOR = "\n"  # joins texts for one scan: neither core, prefix nor digit, so no run or match crosses it


def scan_many(texts: Sequence[str], min_digits: tuple[int, int]) -> list[PhoneRuns]:
    """:func:`phone_runs` of each text, from one scan of the texts joined by newlines (as numpy code points).

    Extension matches (searched from every position, in the argument above) are only searched where one can
    start: an extension match is made of ``prefix`` characters followed by digits, so it starts in a maximal run of
    prefix characters that is followed by a digit, and it holds a ``key`` character or (the last alternative) has a
    "#" right after its digits.
    """
    classify = _char_tables()
    assert classify is not None
    if not texts:
        return []
    joined = _SEPARATOR.join(texts)
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(codes)
    astral = np.flatnonzero(codes >= _BMP) if n and codes.max() >= _BMP else None
    digit = classify("digit", codes, astral)
    core = classify("core", codes, astral)
    prefix = classify("prefix", codes, astral)
    starts, ends = _true_runs(prefix)
    if len(starts):
        followed = ends < n
        followed[followed] = digit[ends[followed]]
        starts, ends = starts[followed], ends[followed]
    if len(starts):
        keys = np.r_[0, np.cumsum(classify("key", codes, astral))]
        digit_starts, digit_ends = _true_runs(digit)
        after = digit_ends[np.searchsorted(digit_starts, ends)]  # end of the digits after each prefix run
        hashed = after < n
        hashed[hashed] = codes[after[hashed]] == ord("#")
        search = (keys[ends] > keys[starts]) | hashed
        extension = _phone_patterns()[1]  # type: ignore[index]
        core = core.copy()
        for lo, hi in zip(starts[search].tolist(), (after[search] + 1).tolist()):
            for m in extension.finditer(joined, lo, hi):
                if m.end(1) > m.start(1):
                    core[m.start(1) : m.end(1)] = True
    run_starts, run_ends = _true_runs(core)
    digits = np.r_[0, np.cumsum(digit)]
    count = digits[run_ends] - digits[run_starts]
    has = count > 0
    run_starts, run_ends, count = run_starts[has], run_ends[has], count[has]
    plus_sum = np.r_[0, np.cumsum((codes == ord("+")) | (codes == 0xFF0B))]
    kept = count >= np.where(plus_sum[run_ends] > plus_sum[run_starts], min_digits[0], min_digits[1])
    lengths = run_ends - run_starts
    # back to each text: its offset in the joined string, and its slice of the (ordered) runs
    offsets = np.r_[0, np.cumsum([len(t) + 1 for t in texts])]
    owner = np.searchsorted(offsets, run_starts, side="right") - 1
    cuts = np.searchsorted(owner, np.arange(len(texts) + 1)).tolist()
    starts_local = (run_starts - offsets[owner]).tolist()
    ends_local = (run_ends - offsets[owner]).tolist()
    kept_list, length_list = kept.tolist(), lengths.tolist()
    out = []
    for i in range(len(texts)):
        lo, hi = cuts[i], cuts[i + 1]
        runs, skipped = [], []
        for j in range(lo, hi):
            (runs if kept_list[j] else skipped).append((starts_local[j], ends_local[j]))
        span = length_list[lo:hi]
        out.append(PhoneRuns(runs, skipped, sum(span), max(span, default=0)))
    return out


def _true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) ends of the runs of True."""
    edges = np.diff(np.r_[np.int8(0), mask.view(np.int8), np.int8(0)])
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _skipped_bound(text: str, skipped: Sequence[tuple[int, int]]) -> int:
    """An upper bound of the matcher's tries in the skipped runs, from character counts alone.

    A candidate costs one try, and for each inner-match pattern one try before its first hit and one per hit
    (see _skipped_tries): at most 1 + 2 * (its hits). The six patterns' hits start at distinct positions holding
    "/", "(", whitespace or "-", a dash, ".", whitespace; candidates in a run are disjoint (runs with a second-
    number start are not: for them the bound is infinite, and the exact count refuses them) and each holds a digit.
    So a run costs at most its digits plus twice the count of those characters, whitespace counted twice and "-"
    once more.
    """
    if not skipped:
        return 0
    from phonenumbers.phonenumbermatcher import _SECOND_NUMBER_START_PATTERN

    bounds = np.asarray(skipped, dtype=np.int64)
    for m in _SECOND_NUMBER_START_PATTERN.finditer(text):
        inside = np.searchsorted(bounds[:, 0], m.start(), side="right") - 1
        if inside >= 0 and m.start() < bounds[inside, 1]:
            return _MAX_TRIES  # candidates of this run may overlap: count exactly (which refuses it)
    classify = _char_tables()
    assert classify is not None
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    astral = np.flatnonzero(codes >= _BMP) if codes.max() >= _BMP else None
    weight = (
        classify("digit", codes, astral).astype(np.int64)
        + 2 * ((codes == ord("/")) + (codes == ord("(")) + (codes == ord(".")) + (codes == ord("-")))
        + 2 * classify("dash", codes, astral)
        + 4 * classify("space", codes, astral)
    )
    total = np.r_[0, np.cumsum(weight)]
    return int((total[bounds[:, 1]] - total[bounds[:, 0]]).sum())


def _skipped_tries(text: str, runs: Sequence[tuple[int, int]]) -> int | None:
    """An upper bound of the matcher's tries in runs that hold no valid number; None if not derived (a run with a
    second-number start, where candidates overlap)."""
    from phonenumbers.phonenumbermatcher import (
        _INNER_MATCHES,
        _PATTERN,
        _SECOND_NUMBER_START_PATTERN,
    )

    tries = 0
    for start, end in runs:
        if _SECOND_NUMBER_START_PATTERN.search(text, start, end):
            return None
        for candidate in _PATTERN.finditer(text, start, end):
            value = candidate.group()
            tries += 1
            for inner in _INNER_MATCHES:
                hit = inner.search(value)
                tries += hit is not None
                while hit:
                    tries += 1
                    hit = inner.search(value, hit.start() + 1)
    return tries


@lru_cache(maxsize=50_000)
def _window_matches(
    window: str, regions: tuple[str, ...], leniency: int
) -> tuple[tuple[tuple[int, int, str], ...], tuple[int, ...]]:
    """phonenumbers' matches in a window, per region in order, as presidio's PhoneRecognizer makes them (start,
    end, the number's own region when it parses without one), and the matcher's tries per region."""
    import phonenumbers

    found, tries = [], []
    for region in regions:
        matcher = phonenumbers.PhoneNumberMatcher(window, region, leniency=leniency)
        for match in matcher:
            try:
                own = phonenumbers.region_code_for_number(phonenumbers.parse(window[match.start : match.end]))
            except phonenumbers.NumberParseException:
                own = region
            found.append((match.start, match.end, own))
        tries.append(_MAX_TRIES - matcher._max_tries)
    return tuple(found), tuple(tries)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


