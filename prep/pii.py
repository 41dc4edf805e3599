"""PII detection with presidio-analyzer: offline by construction, fast on whole columns, never leaking values.

- **Offline**: the NLP engine is a blank spaCy English pipeline (tokenizer only, nothing to download), so the
  pattern and checksum recognizers work (email, phone, credit card, US SSN, IBAN, IP address, ...). If a spaCy NER
  model is installed and named (``spacy_model``), PERSON / LOCATION / NRP detection turns on too. presidio's
  e-mail recognizer validates domains with ``tldextract``, whose default extractor downloads the public-suffix list:
  it is replaced by one that only uses the snapshot bundled with tldextract.
- **Fast**: a polars prefilter over the whole column (:data:`PREFILTERS`, one necessary condition per entity type:
  any text presidio would flag matches it) selects candidate texts, and for each one the entity types whose
  condition it meets; only those go to presidio, restricted to those types, on two processes when there are many.
  presidio's recognizers, its context enhancement and its duplicate removal work per entity type, so the findings
  are the same as analysing every row with every type. Phone numbers, the costly part, are searched only in the
  windows of text that can hold one (see "phone numbers in windows" below), and the blank pipeline's tokenizer,
  whose output no enabled recognizer reads, is skipped. ``bench/pii_bench.py`` compares with presidio on every
  row of a whole file.
- **Never leaking**: detections carry entity type, span, score and a masked form of the value (``j***@e***.com``,
  ``****1111``); the raw value never leaves this module. Spans that are placeholders of already redacted text
  (``[NAME]``, ``<EMAIL>``, ``{{phone_number}}``) are not PII.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from prep.errors import DependencyError
from prep.limits import SCAN_CHARS
from prep.runtime import in_snowflake, worker_processes

LANGUAGE = "en"

# A necessary condition per entity type, in polars (Rust regex) syntax: a text that presidio flags with that type
# always matches it (derived from the recognizers' own patterns and phonenumbers' rules, verified on 13,250 texts and
# edge cases by bench/pii_study.py). Used to skip texts presidio cannot flag.
_PH_SEP = (
    r"[\-xX\x{2010}-\x{2015}\x{2212}\x{30FC}\x{FF0D}-\x{FF0F} \x{A0}\x{AD}\x{200B}\x{2060}\x{3000}()"
    r"\x{FF08}\x{FF09}\x{FF3B}\x{FF3D}.\[\]/~\x{2053}\x{223C}\x{FF5E}]{0,4}"
)
_N = r"[\d&&[^0-9]]"  # a non-ASCII decimal digit: phonenumbers reads any Unicode digit
_PH_START = r"(?:^|[^A-Za-z]|[(\[\x{FF08}\x{FF3B}+\x{FF0B}]\D{0,9})"
PREFILTERS: dict[str, str] = {
    "EMAIL_ADDRESS": r"[\w!#$%&'*+/=?^`{|}~-]@\w[\w-]*\.\w",
    # phonenumbers (leniency VALID) in presidio's 8 default regions: a number is digit blocks separated by at most
    # 4 characters of its punctuation class, and has >= 6 digits, except German national numbers, whose 4- and
    # 5-digit valid forms are 0?16[489]\d\d? (brute-forced over all 4- and 5-digit strings).
    "PHONE_NUMBER": rf"{_PH_START}(?:\d(?:{_PH_SEP}\d){{5}}|[1{_N}]{_PH_SEP}[6{_N}]{_PH_SEP}[489{_N}]{_PH_SEP}\d)",
    "CREDIT_CARD": r"[13456]\d{3}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}",
    "US_SSN": r"[0-9]{5}-[0-9]{4}|[0-9]{3}-[0-9]{6}|[0-9]{9}|[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}",
    "IBAN_CODE": r"(?i)[a-z]{2}[0-9]{2}(?:[ -]?[a-z0-9]{4}){2}",
    "IP_ADDRESS": r"(?i)[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]|::|(?:[0-9a-f]{1,4}:){7}[0-9a-f]",
    "CRYPTO": r"(?i)(?:bc1|[13])[a-z0-9]{25}",
    "US_ITIN": r"9\d{2}[- ]?(?:5\d|6[0-5]|7\d|8[0-8]|9[0-24-9])[- ]?\d{4}",
    "MAC_ADDRESS": r"(?i)[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}",
    "UUID": r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "UK_NHS": r"[0-9]{3}[- ]?[0-9]{3}[- ]?[0-9]{4}",
    "US_BANK_NUMBER": r"[0-9]{8}",
    "US_PASSPORT": r"[0-9]{8}",
    "MEDICAL_LICENSE": r"(?i)[abcdefghjklmprstux][a-z9]\d{7}",
}
# Narrower conditions for a region list or a score threshold:
# - without the DE region, a number written nationally has >= 7 digits (the shortest valid national numbers of US GB
#   FR IL IN CA BR; no 6-digit string is valid in those regions, brute-forced), one written with + has >= 6 (country
#   code and the shortest national number of any country);
# - US_SSN's four 0.05 patterns reach at most 0.4 even with context words, so above 0.4 only its separated form is left.
PHONE_REGIONS_WITH_DE = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")  # presidio's default
PHONE_REGIONS = ("US", "GB", "FR", "IL", "IN", "CA", "BR")  # ours: see PI001's docs
_PHONE_WITHOUT_DE = rf"{_PH_START}\d(?:{_PH_SEP}\d){{6}}|[+\x{{FF0B}}]\D{{0,9}}\d(?:{_PH_SEP}\d){{5}}"
_SSN_ABOVE_04 = r"[0-9]{3}[- .][0-9]{2}[- .][0-9]{4}"

# PI001's defaults (its docstring says why each is on or off); also what every quoted value is masked with
# (prep.quoting), whatever the run's PI001 options.
DEFAULT_ERROR_ENTITIES = ("EMAIL_ADDRESS", "CREDIT_CARD", "US_SSN", "IBAN_CODE", "PHONE_NUMBER")
DEFAULT_WARNING_ENTITIES = ("IP_ADDRESS", "CRYPTO")
DEFAULT_ENTITIES = DEFAULT_ERROR_ENTITIES + DEFAULT_WARNING_ENTITIES
DEFAULT_THRESHOLDS = (("PHONE_NUMBER", 0.4),)

_PLACEHOLDER = re.compile(r"^(?:\[\[?|<<?|\{\{?)\s*[A-Za-z][A-Za-z0-9_ .-]*\s*(?:\]\]?|>>?|\}\}?)$")


@dataclass(frozen=True)
class Detection:
    """One PII span: its type, position, presidio's score and a masked form of the value (never the value)."""

    entity: str
    start: int
    end: int
    score: float
    masked: str


def mask(entity: str, value: str) -> str:
    """A form of ``value`` that shows its shape and a few characters, never enough to recover it."""
    value = value.strip()
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.partition("@")
        labels = domain.split(".")
        suffix = "." + labels[-1] if len(labels) > 1 else ""
        return f"{local[:1]}***@{labels[0][:1]}***{suffix}"
    if entity == "IP_ADDRESS":
        return "***.***.***.***" if "." in value else "****:****"
    digits = re.sub(r"\D", "", value)
    if entity == "IBAN_CODE" and len(value) > 6:
        return f"{value[:2]}****{digits[-4:]}"
    if len(digits) >= 8:
        return "****" + digits[-4:]
    return value[:1] + "***" if len(value) > 3 else "***"


def is_placeholder(text: str, start: int, end: int) -> bool:
    """Whether a span is (inside) a placeholder such as ``[NAME]``, ``<EMAIL>`` or ``{{phone_number}}``."""
    lo = max(0, text.rfind(" ", 0, start) + 1)
    hi = text.find(" ", end)
    token = text[lo : (len(text) if hi < 0 else hi)].strip(".,;:!?\"'")
    return bool(_PLACEHOLDER.match(token)) or bool(_PLACEHOLDER.match(text[start:end]))


def redact(text: str, detections: Sequence[Detection]) -> str:
    """``text`` with each detected span replaced by its typed placeholder (``[EMAIL_ADDRESS]``); overlapping
    spans are merged into the first one's type."""
    out, cursor = [], 0
    for d in sorted(detections, key=lambda d: (d.start, -d.end)):
        if d.start < cursor:
            continue
        out += [text[cursor : d.start], f"[{d.entity}]"]
        cursor = d.end
    out.append(text[cursor:])
    return "".join(out)


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


# --- the analyzer ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def analyzer(spacy_model: str = "", phone_regions: tuple[str, ...] = PHONE_REGIONS, windowed: bool = False):
    """An offline presidio AnalyzerEngine for English, loaded once per process.

    ``spacy_model`` names an installed spaCy pipeline with NER (``en_core_web_sm``, ...); empty means a blank
    pipeline, which supports every pattern and checksum recognizer and no NER-based entity. ``phone_regions`` are
    the regions whose national number formats the phone recognizer accepts. ``windowed`` swaps presidio's
    PhoneRecognizer for one that gives the same results from the windows that can hold a number.
    """
    try:
        import spacy
        import tldextract
        from presidio_analyzer import (
            AnalyzerEngine,
            EntityRecognizer,
            RecognizerRegistry,
        )
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import (
            EmailRecognizer,
            PhoneRecognizer,
        )
    except ImportError as exc:
        raise DependencyError(
            f"PII detection needs presidio-analyzer and spacy ({exc}); pip install presidio-analyzer"
        ) from None

    if spacy_model:
        try:
            pipeline = spacy.load(spacy_model)
        except OSError:
            raise DependencyError(
                f"spaCy model '{spacy_model}' is not installed; install it as a package, or leave spacy-model empty "
                "for the offline pattern recognizers"
            ) from None
    else:
        pipeline = spacy.blank(LANGUAGE)

    class _Engine(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {LANGUAGE: pipeline}

    # tldextract's default extractor downloads the public-suffix list on first use; this one only reads the
    # snapshot shipped inside the tldextract package, and keeps no cache on disk.
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class _OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return offline(pattern_text).fqdn != ""

    engine = _Engine(models=[{"lang_code": LANGUAGE, "model_name": spacy_model or "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(_OfflineEmailRecognizer())
    registry.remove_recognizer("PhoneRecognizer")
    min_digits = _phone_min_digits(phone_regions) if windowed and _char_tables() is not None else None
    if min_digits is None:
        registry.add_recognizer(PhoneRecognizer(supported_regions=phone_regions))
    else:
        from phonenumbers.phonenumbermatcher import _SECOND_NUMBER_START_PATTERN

        class _WindowedPhoneRecognizer(PhoneRecognizer):
            """PhoneRecognizer searching only the windows that can hold a number (see phone_runs): the same
            results as presidio's, which matches the whole text in each region."""

            def analyze(self, text, entities, nlp_artifacts=None):
                scan = _PRESCANNED.get(text)
                if scan is None or scan[0] != min_digits:
                    scan = (min_digits, phone_runs(text, min_digits))
                scan = scan[1]
                results, tries = [], [0] * len(self.supported_regions)
                for start, end in scan.runs:
                    start -= start > 0  # the character before the run, and three after it (see 3.)
                    found, window_tries = _window_matches(text[start : end + 3], self.supported_regions, self.leniency)
                    tries = [a + b for a, b in zip(tries, window_tries)]
                    for first, last, region in found:
                        result = self._get_recognizer_result(_Span(first, last), text, region, nlp_artifacts)
                        result.start += start
                        result.end += start
                        results.append(result)
                events = len(results) + len(_SECOND_NUMBER_START_PATTERN.findall(text))
                if 13 * (scan.total + events * scan.longest) >= _MAX_TRIES and (
                    max(tries, default=0) + _skipped_bound(text, scan.skipped) >= _MAX_TRIES
                ):
                    rest = _skipped_tries(text, scan.skipped)
                    if rest is None or max(tries, default=0) + rest >= _MAX_TRIES:
                        return super().analyze(text, entities, nlp_artifacts)  # the matcher may give up: let it
                return EntityRecognizer.remove_duplicates(results)

        registry.add_recognizer(_WindowedPhoneRecognizer(supported_regions=phone_regions, name="PhoneRecognizer"))
    return AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=[LANGUAGE])


def supported_entities(spacy_model: str = "") -> list[str]:
    return sorted(analyzer(spacy_model).get_supported_entities(LANGUAGE))


# Below this many candidate texts one process is faster than forking a second one.
PARALLEL_MIN_TEXTS = 300


def _blank_artifacts(engine) -> Any:
    """NLP artifacts without tokens, in place of the blank pipeline's. The blank pipeline has no lemmas and no
    entities, so its artifacts feed nothing: no enabled recognizer reads them (only the NER recognizer does), and
    presidio's context enhancer finds no context word among empty lemmas, as it finds none without tokens. Skipping
    the tokenizer gives the same results (tests and the benchmark compare), faster."""
    from presidio_analyzer.nlp_engine import NlpArtifacts

    return NlpArtifacts(
        entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=engine.nlp_engine, language=LANGUAGE
    )


@dataclass(frozen=True)
class Detector:
    """What to look for and how: entity types, a minimum score per type, the NLP engine and the phone regions.

    :meth:`analyze` is the reference (presidio on one whole text with every type); :meth:`detect` gives the same
    detections for a whole column, fast.
    """

    entities: tuple[str, ...]
    threshold: float = 0.5
    thresholds: tuple[tuple[str, float], ...] = ()  # per entity type, overriding ``threshold``
    spacy_model: str = ""
    phone_regions: tuple[str, ...] = PHONE_REGIONS

    def min_score(self, entity: str) -> float:
        return dict(self.thresholds).get(entity, self.threshold)

    def validate(self) -> None:
        """Check that every entity type is supported (a DependencyError/ValueError if not); the analyzer is loaded
        for this only when the configuration goes beyond the types prep knows the blank pipeline supports."""
        from phonenumbers import SUPPORTED_REGIONS

        unknown_regions = sorted(set(self.phone_regions) - SUPPORTED_REGIONS)
        if unknown_regions:
            raise ValueError(f"unknown phone regions: {', '.join(unknown_regions)} (ISO 3166 codes such as US, GB)")
        if not self.spacy_model and set(self.entities) <= set(DEFAULT_ENTITIES):
            # types the blank pipeline's recognizers support (tests/test_pii.py checks it against presidio): no need
            # to load presidio (seconds) before the prefilter says whether any text could hold one
            return
        engine = analyzer(self.spacy_model, self.phone_regions, True)  # the one detect() uses
        supported = set(engine.get_supported_entities(LANGUAGE))
        if not self.spacy_model:  # entities only the NER recognizer finds: the blank pipeline finds none
            ner_only = {
                e
                for e in supported
                if all(type(r).__name__ == "SpacyRecognizer" for r in engine.registry.get_recognizers(LANGUAGE, [e]))
            }
            supported -= ner_only
            needs_model = sorted(set(self.entities) & ner_only)
            if needs_model:
                raise ValueError(
                    f"{', '.join(needs_model)} need a spaCy NER model: install one and set spacy-model "
                    "(PERSON, LOCATION and NRP need spacy-model)"
                )
        unknown = [e for e in self.entities if e not in supported]
        if unknown:
            raise ValueError(f"unsupported entity types: {', '.join(unknown)}; supported: {', '.join(sorted(supported))}")

    def prefilters(self) -> dict[str, str | None]:
        """The necessary condition of each entity type under this configuration; None means every text."""
        out: dict[str, str | None] = {}
        for entity in self.entities:
            pattern = PREFILTERS.get(entity)
            if entity == "PHONE_NUMBER":
                regions = set(self.phone_regions)
                if regions <= set(PHONE_REGIONS):
                    pattern = _PHONE_WITHOUT_DE
                elif not regions <= set(PHONE_REGIONS_WITH_DE):
                    pattern = None  # not derived for other regions: every text is a candidate
            elif entity == "US_SSN" and self.min_score(entity) > 0.4:
                pattern = _SSN_ABOVE_04
            out[entity] = pattern
        return out

    def candidates(self, texts: pl.Series) -> np.ndarray:
        """A (texts x entities) boolean matrix: whether each text could hold each entity type."""
        prefilters = self.prefilters()
        frame = pl.DataFrame({"t": texts.cast(pl.String)})
        nonempty = pl.col("t").str.len_bytes().fill_null(0) > 0
        exprs = [
            (pl.col("t").str.contains(pattern).fill_null(False) if pattern else nonempty).alias(str(k))
            for k, pattern in enumerate(prefilters.values())
        ]
        if not exprs:
            return np.zeros((len(texts), 0), dtype=bool)
        return frame.lazy().select(exprs).collect().to_numpy().astype(bool, copy=False)

    def analyze(self, text: str | None, entities: Sequence[str] | None = None, windowed: bool = False) -> list[Detection]:
        """presidio on one whole text for ``entities`` (default: all of this detector's), each at its minimum
        score, placeholders dropped, values masked. ``windowed`` uses the windowed phone recognizer (same results)."""
        if not text:
            return []
        entities = list(self.entities if entities is None else entities)
        if not entities:
            return []
        engine = analyzer(self.spacy_model, self.phone_regions, windowed)
        results = engine.analyze(
            text=text,
            language=LANGUAGE,
            entities=entities,
            score_threshold=min(map(self.min_score, entities)),
            nlp_artifacts=_blank_artifacts(engine) if windowed and not self.spacy_model else None,
        )
        out = []
        for r in sorted(results, key=lambda r: (r.start, r.end, r.entity_type)):
            if r.score < self.min_score(r.entity_type) or is_placeholder(text, r.start, r.end):
                continue
            value = text[r.start : r.end]
            out.append(Detection(r.entity_type, r.start, r.end, round(float(r.score), 4), mask(r.entity_type, value)))
        return out

    def detect(self, texts: pl.Series, processes: int | None = None) -> dict[int, list[Detection]]:
        """Detections per text index, for the texts that have any: the same as :meth:`analyze` on every text.

        Only prefilter candidates reach presidio, each restricted to the entity types whose condition it meets.
        """
        return self.detect_many([texts], processes).result()[0]

    def detect_many(self, columns: Sequence[pl.Series], processes: int | None = None) -> PendingDetections:
        """:meth:`detect` for several columns at once. With two processes or more and enough candidate texts, the
        work is handed to worker processes (forked now, while the caller is idle) and goes on in the background
        while the caller does other work; :meth:`PendingDetections.result` waits for it. Otherwise it is done in
        this process when the result is asked for."""
        parts = []
        for texts in columns:
            texts = texts.str.slice(0, SCAN_CHARS)  # the first SCAN_CHARS characters of a text (prep.limits)
            matrix = self.candidates(texts)
            index = matrix.any(axis=1).nonzero()[0]
            values = texts.gather(index).to_list() if len(index) else []
            names = np.array(self.entities, dtype=object)
            parts.append((index, [(value, tuple(names[matrix[i]])) for i, value in zip(index, values)]))
        jobs = [job for _, part in parts for job in part]
        # one process inside Snowflake (no process creation there), whatever the caller asks
        workers = 1 if in_snowflake() else (processes or worker_processes())
        pending = PendingDetections(self, parts, jobs)
        if workers > 1 and len(jobs) >= PARALLEL_MIN_TEXTS:
            pending.start(workers)
        return pending


class PendingDetections:
    """Detections of :meth:`Detector.detect_many`, computed in worker processes or on demand."""

    def __init__(self, detector: Detector, parts: list[tuple[np.ndarray, list[tuple[str, tuple[str, ...]]]]],
                 jobs: list[tuple[str, tuple[str, ...]]]) -> None:
        self.detector, self.parts, self.jobs = detector, parts, jobs
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Any] = []
        self._batches: list[list[tuple[str, tuple[str, ...]]]] = []

    def start(self, workers: int) -> None:
        import multiprocessing

        detector = self.detector
        analyzer(detector.spacy_model, detector.phone_regions, True)  # load before forking: the workers inherit it
        size = max(50, -(-len(self.jobs) // (8 * workers)))  # a few batches per worker, to even out long texts
        self._batches = [self.jobs[i : i + size] for i in range(0, len(self.jobs), size)]
        try:
            context: Any = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: one process, on demand
            return
        try:
            self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                             initargs=(os.getpid(),))
            self._futures = [self._pool.submit(_analyze_jobs, detector, batch) for batch in self._batches]
        except (OSError, BrokenProcessPool):  # no processes here (a sandbox, a stored procedure): on demand
            self.close()

    def result(self) -> list[dict[int, list[Detection]]]:
        """Detections per text index of each column, for the texts that have any."""
        results: list[list[Detection]] = []
        if self._futures:
            try:
                for future in self._futures:
                    results.extend(future.result())
            except (OSError, BrokenProcessPool):  # the workers died: do it here
                results = []
            finally:
                self.close()
        if len(results) != len(self.jobs):
            results = _analyze_jobs(self.detector, self.jobs)
        out, cursor = [], 0
        for index, part in self.parts:
            found = results[cursor : cursor + len(part)]
            cursor += len(part)
            out.append({int(i): f for i, f in zip(index, found) if f})
        return out

    def close(self, abort: bool = False) -> None:
        """Stop the workers (a no-op once done); ``abort`` terminates them mid-batch (the run failed)."""
        if self._pool is not None:
            if abort:  # Python 3.14 has ProcessPoolExecutor.terminate_workers(); before it, the processes
                for process in list(getattr(self._pool, "_processes", {}).values()):
                    process.terminate()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures = []


def _worker_init(parent: int) -> None:
    """In a PII worker, first thing: die with the parent, however it dies (Linux's parent-death signal covers
    SIGKILL and the OOM killer; elsewhere the worker ends when its pipe to the parent closes), and leave Ctrl-C to
    the parent, which stops the workers itself and prints one line."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


# Phone runs of the texts of the batch being analysed, scanned at once (text -> (min_digits, runs)).
_PRESCANNED: dict[str, tuple[tuple[int, int], PhoneRuns]] = {}


def _analyze_jobs(detector: Detector, jobs: list[tuple[str, tuple[str, ...]]]) -> list[list[Detection]]:
    min_digits = _phone_min_digits(detector.phone_regions)
    phones = [text for text, entities in jobs if text and "PHONE_NUMBER" in entities]
    if min_digits is not None and phones and _char_tables() is not None:
        _PRESCANNED.update((text, (min_digits, scan)) for text, scan in zip(phones, scan_many(phones, min_digits)))
    try:
        return [detector.analyze(text, entities, windowed=True) for text, entities in jobs]
    finally:
        _PRESCANNED.clear()
