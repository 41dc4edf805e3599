"""Which runs of a text can hold a valid phone number, from phonenumbers' metadata alone: a necessary condition
checked with one compiled regex per region before phonenumbers' matcher (pure Python, about 0.1 ms per candidate and
region) parses anything.

In a run of digits and phone punctuation (:func:`prep.measures.pii.phones.phone_runs`), whatever the matcher parses
is made of whole digit groups (maximal runs of ASCII digits): its candidates and inner matches start and end at
punctuation, a digit block is cut only past 20 digits, an extension is cut off at punctuation too. So the number's
digits ``S`` are a concatenation of consecutive groups. With leniency VALID (presidio's), for a default region ``R``
and no plus sign, ``phonenumbers.parse`` and the matcher's checks accept ``S`` only in one of these ways, each a
regex over ``S`` (phonenumbers' own patterns, so the condition follows the installed metadata):

1. ``S`` starts with ``R``'s international prefix (``00``, ``011``, ...): any country code follows (accepted
   without looking further);
2. ``S`` starts with ``R``'s country code (written without ``+``), and what follows is a national number of that
   country code once at most two national prefixes are stripped or transformed (parse strips one while it looks for
   the country code and one after);
3. ``S`` starts with a national prefix of ``R`` or of the country code's main region (``0``, ``1``, BR's carrier
   codes), and is such a national number with the prefix stripped (or transformed), or whole;

where "a national number" is one that ``is_valid_number`` accepts in a region of that country code (the general
description and one of the number types, each with its possible lengths);
4. ``S`` is such a national number, and the main region's first format for it does not require the national prefix
   (``_is_national_prefix_present_if_required``): either a format that allows it applies, or no format does.

Each is implied by what phonenumbers checks (``is_valid_number`` needs the general description's pattern;
``_is_national_prefix_present_if_required`` fails a number read in national format without its prefix when its
format's rule starts with the prefix), so a run none of whose group sequences passes in any region holds no number
the matcher would report. A run with a plus sign, three letters, a non-ASCII character or a digit block over 17
digits is not judged (always a candidate). Fewer than three letters (the "x" of an extension) add no digits: parse
cuts the extension off or drops them. tests/test_pii_phonemeta.py checks the condition against the matcher on generated
numbers of every type and region, on the benchmark's and ../shared's texts, and on random digit runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_GROUPS = re.compile(r"[0-9]+")
# not judged: a plus sign, anything not ASCII (digits of other scripts, a fullwidth plus), or three letters (parse then
# reads letters as digits, 1-800-FLOWERS); fewer letters (an extension's "x") are dropped by parse like punctuation
_NOT_JUDGED = re.compile(r"[^\x00-\x7f]|\+|(?:[^A-Za-z]*[A-Za-z]){3}")
_LONGEST_GROUP = 17  # the matcher cuts digit blocks past 20 digits, not always at a group boundary


@dataclass(frozen=True, eq=False)
class _Region:
    """The condition for one default region (see the module's docstring), as compiled pieces."""

    idd: re.Pattern[str] | None  # the international prefix, matched at the start
    code: str  # the country code
    prefixes: tuple[tuple[re.Pattern[str], str | None], ...]  # national prefixes for parsing, with their transform
    lengths: tuple[int, ...]  # every length a valid national number of the country code can have
    national: re.Pattern[str]  # a valid national number of the country code (match: the whole string)
    unprefixed: re.Pattern[str]  # ... whose format does not require the national prefix, or has no format

    def may_be(self, digits: str) -> bool:
        """Whether ``digits`` can be a number the matcher accepts with this default region."""
        if self.idd is not None and (m := self.idd.match(digits)) and m.end() < len(digits):  # 1.
            return True
        if len(digits) in self.lengths and self.unprefixed.match(digits):  # 4.
            return True
        # 2.: parse strips a national prefix after the country code, then again from what is left (BR: a carrier
        # code after a 0 left by the first)
        if digits.startswith(self.code) and any(map(self._national, self._stripped(digits[len(self.code):], 2))):
            return True
        return any(map(self._national, self._stripped(digits, 1, needs_prefix=True)))  # 3.

    def _stripped(self, digits: str, times: int, needs_prefix: bool = False) -> set[str]:
        """``digits`` with up to ``times`` national prefixes stripped (or transformed) from the front, and as it
        is; with ``needs_prefix``, nothing when no prefix matches at the front."""
        out, frontier = set(), {digits}
        if not needs_prefix:
            out.add(digits)
        for _ in range(times):
            found = set()
            for value in frontier:
                for pattern, transform in self.prefixes:
                    m = pattern.match(value)
                    if m is None:
                        continue
                    if needs_prefix:
                        out.add(value)  # the prefix present but left on (parse keeps a viable number whole)
                    found.add(value[m.end():])
                    if transform and m.lastindex:
                        found.add(pattern.sub(transform, value, count=1))
            out |= found
            frontier = found
        return out

    def _national(self, digits: str) -> bool:
        return len(digits) in self.lengths and self.national.match(digits) is not None


@lru_cache(maxsize=16)
def region_rules(regions: tuple[str, ...]) -> tuple[_Region, ...] | None:
    """The condition of each default region, from phonenumbers' metadata; None if a region has none."""
    import phonenumbers
    from phonenumbers import PhoneMetadata
    from phonenumbers.phonenumberutil import _formatting_rule_has_first_group_only

    out, seen = [], {}
    for region in regions:
        md = PhoneMetadata.metadata_for_region(region, None)
        if md is None:
            return None
        code = md.country_code
        main = PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(code), None) or md
        same = (code, md.international_prefix, md.national_prefix_for_parsing, md.national_prefix_transform_rule)
        if same in seen:  # US and CA: one condition (the country code's numbers, the main region's formats)
            out.append(seen[same])
            continue
        valid, lengths = [], set()
        for other in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, (region,)):
            meta = PhoneMetadata.metadata_for_region(other, None)
            found = None if meta is None else _valid_national(meta)
            if found is not None:
                valid.append(found[0])
                lengths |= found[1]
        national = "(?:" + "|".join(valid) + ")" if valid else "(?!)"
        applies, allows = [], []
        for fmt in main.number_format:
            lead = rf"(?={fmt.leading_digits_pattern[-1]})" if fmt.leading_digits_pattern else ""
            applies.append(rf"{lead}(?:{fmt.pattern})\Z")
            rule = fmt.national_prefix_formatting_rule
            if not rule or fmt.national_prefix_optional_when_formatting or _formatting_rule_has_first_group_only(rule):
                allows.append(applies[-1])
        unprefixed = national
        if applies:
            allowed = f"(?={'|'.join(allows)})" if allows else "(?!)"
            unprefixed = f"(?:{allowed}|(?!{'|'.join(applies)})){national}"
        prefixes = []
        for meta in (md,) if main is md else (md, main):
            if meta.national_prefix_for_parsing:
                prefixes.append((re.compile(meta.national_prefix_for_parsing), meta.national_prefix_transform_rule))
        seen[same] = _Region(
            idd=re.compile(md.international_prefix) if md.international_prefix else None,
            code=str(code),
            prefixes=tuple(prefixes),
            lengths=tuple(sorted(lengths)),
            national=re.compile(national),
            unprefixed=re.compile(unprefixed),
        )
        out.append(seen[same])
    return tuple(out)


_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail",
          "fixed_line", "mobile")  # what _number_type_helper tries: a valid number matches one of them


def _desc(desc) -> tuple[str, set[int]] | None:
    """``_is_number_matching_desc`` as a regex over a whole national number (its lengths, then its pattern), and
    those lengths."""
    if desc is None or not desc.national_number_pattern:
        return None
    lengths = {n for n in desc.possible_length or () if n > 0}
    if desc.possible_length and not lengths:  # (-1,): the type does not exist in this region
        return None
    if not lengths:
        lengths = set(range(2, 18))  # no lengths given: any national number (2 to 17 digits)
    length = f"(?=(?:{'|'.join(rf'[0-9]{{{n}}}' for n in sorted(lengths))})\\Z)"
    return rf"{length}(?:{desc.national_number_pattern})\Z", lengths


def _valid_national(meta) -> tuple[str, set[int]] | None:
    """A national number ``is_valid_number`` accepts in the region of ``meta`` (``_number_type_helper`` is not
    UNKNOWN: the general description, and one of the types), and the lengths it can have."""
    general = _desc(meta.general_desc)
    types = [t for t in (_desc(getattr(meta, name, None)) for name in _TYPES) if t]
    if general is None or not types:
        return None
    lengths = general[1] & set().union(*(t[1] for t in types))
    return f"(?=(?:{general[0]}))(?:{'|'.join(f'(?:{t[0]})' for t in types)})", lengths


def possible_regions(run: str, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``regions`` (in order) in which phonenumbers' matcher (leniency VALID) could report a number inside
    ``run`` (a run of :func:`prep.measures.pii.phones.phone_runs`); a region is left out only when the metadata
    rules it out."""
    if _NOT_JUDGED.search(run):
        return regions
    return _possible(tuple(_GROUPS.findall(run)), regions)


def may_hold_number(run: str, regions: tuple[str, ...]) -> bool:
    """Whether :func:`possible_regions` leaves any region."""
    return bool(possible_regions(run, regions))


@lru_cache(maxsize=65_536)
def _possible(groups: tuple[str, ...], regions: tuple[str, ...]) -> tuple[str, ...]:
    rules = region_rules(regions)
    if rules is None or any(len(g) > _LONGEST_GROUP for g in groups):
        return regions
    sequences = []  # the digits of every run of consecutive groups
    for i in range(len(groups)):
        digits = ""
        for group in groups[i:]:
            digits += group
            if len(digits) >= 2:
                sequences.append(digits)
    verdict: dict[int, bool] = {}  # one per distinct condition (US and CA share theirs)
    for rule in rules:
        if id(rule) not in verdict:
            verdict[id(rule)] = any(rule.may_be(digits) for digits in sequences)
    return tuple(region for region, rule in zip(regions, rules) if verdict[id(rule)])
