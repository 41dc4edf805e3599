"""The prefilter: one necessary condition per entity type, over whole columns in polars (Rust regex syntax): any
text presidio flags with a type matches that type's condition, so texts that match none never reach presidio."""

from __future__ import annotations

# A necessary condition per entity type, in polars (Rust regex) syntax: a text that presidio flags with that type
# always matches it (derived from the recognizers' own patterns and phonenumbers' rules, verified on 13,250 texts and
# edge cases by the study in bench/notes/pii-defaults.md, and checked by tests/test_pii.py). Used to skip texts
# presidio cannot flag.
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
    # presidio's card pattern, or the issuer ranges of recognizers.CardRangeRecognizer
    "CREDIT_CARD": r"[13456]\d{3}[- ]?\d{3,4}[- ]?\d{3,4}[- ]?\d{3,5}|[2-6]\d{3}(?:[- ]?\d){8,15}",
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
