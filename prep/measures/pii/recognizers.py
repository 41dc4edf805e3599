"""Recognizers where presidio falls short (issue 17, item 7), added to presidio's registry in analyzer.py, so every
path (lint, workers, ``PREP_PII``) runs them. Each finds only what the prefilter of its type lets through
(tests/test_pii_recall.py checks it): card numbers are 12-19 digits starting with 2-6; phone numbers have >= 8
digits with at most 2 separator characters between two digits; glued e-mails contain ``x@y.z``.

- cards: Luhn-valid 12-19 digit numbers in the issuers' ranges presidio's pattern misses (Maestro's 12 and 13
  digits, Diners 14, UnionPay 17-19, ...), score 1.0 like presidio's checksum-validated cards;
- phones: international numbers written with + whose country code phonenumbers does not validate in our regions
  (`+874 330853910`), 8-15 digits, score 0.4 like presidio's phone numbers;
- phones: 7-15 digits right after a word that says a phone number follows (`call me at`, `phone:`), score 0.4;
- e-mails glued to the next word (`name@corp.comsend`): the address up to the longest common top-level domain the
  last label starts with, score 1.0 less 0.2 (a guess at where the address ends).
"""

from __future__ import annotations

import re

from presidio_analyzer import (
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)

from prep.measures.pii.plausible import RESERVED_TLDS

# Issuer identification ranges (prefix, lengths) of the brands presidio's card pattern leaves out some numbers of.
CARD_RANGES: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "maestro": (("5018", "5020", "5038", "5893", "6304", "6759", "6761", "6762", "6763"), tuple(range(12, 20))),
    "diners": (("300", "301", "302", "303", "304", "305", "36", "38", "39"), (14, 15, 16, 17, 18, 19)),
    "jcb": (tuple(str(p) for p in range(3528, 3590)), (16, 17, 18, 19)),
    "unionpay": (("62",), (16, 17, 18, 19)),
    "visa": (("4",), (13, 16, 19)),
    "mastercard": (("51", "52", "53", "54", "55", *(str(p) for p in range(2221, 2721))), (16,)),
    "amex": (("34", "37"), (15,)),
    "discover": (("6011", "65", "644", "645", "646", "647", "648", "649"), (16, 17, 18, 19)),
}


def luhn(digits: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(digits)):
        d = int(ch)
        if k % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The brand whose range and length ``digits`` fits, if it is Luhn-valid; None otherwise."""
    if not (12 <= len(digits) <= 19 and digits.isdigit() and luhn(digits)):
        return None
    for brand, (prefixes, lengths) in CARD_RANGES.items():
        if len(digits) in lengths and digits.startswith(prefixes):
            return brand
    return None


class CardRangeRecognizer(PatternRecognizer):
    """Luhn-valid card numbers of 12-19 digits in an issuer's range, in blocks of digits separated by one space or
    dash (`5018 0000 0009`, `6212 3456 7890 1234 567`)."""

    PATTERNS = (Pattern("card (issuer ranges)", r"(?<![\d.,-])[2-6]\d{3}(?:[ -]?\d){8,15}(?![\d]|[.,]\d)", 0.5),)

    def __init__(self) -> None:
        super().__init__(supported_entity="CREDIT_CARD", patterns=list(self.PATTERNS), name="CardRangeRecognizer",
                         supported_language="en")

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = re.sub(r"[ -]", "", pattern_text)
        if re.search(r"[ -]{2}", pattern_text):
            return False
        return card_brand(digits) is not None


class InternationalPhoneRecognizer(PatternRecognizer):
    """Numbers written with + and a country code that phonenumbers does not validate (unassigned or satellite
    codes, `+874 330853910`): 8-15 digits in blocks separated by a space, dot or dash, an optional `(0)`."""

    PATTERNS = (Pattern("international phone", r"(?<![\w+])\+\d{1,3}(?:[ .-]?(?:\(0\))?[ .-]?\d){7,14}(?!\d)", 0.4),)

    def __init__(self) -> None:
        super().__init__(supported_entity="PHONE_NUMBER", patterns=list(self.PATTERNS), name="InternationalPhoneRecognizer",
                         supported_language="en")

    def validate_result(self, pattern_text: str) -> bool | None:
        # None keeps the pattern's score (True would make it 1.0)
        return None if 8 <= len(re.sub(r"\D", "", pattern_text.replace("(0)", ""))) <= 15 else False


# The top-level domains a glued address may end in: the generic ones and the country codes common in mail.
_GLUED_TLDS = (
    "com net org edu gov info biz io "
    "uk de fr me fm ch nl it es ca au in jp ru br pl se no dk fi be at cz ie nz us co tv eu mx ar za kr cn"
).split()
_GLUED = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.("
    + "|".join(sorted(_GLUED_TLDS, key=len, reverse=True))  # the longest first: "com" before "co"
    + r")([a-z]+)\b"
)


class GluedEmailRecognizer(EntityRecognizer):
    """An e-mail address glued to the word after it (`name@corp.comsend`): presidio's pattern takes the whole
    run, whose last label is no top-level domain, and drops it."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["EMAIL_ADDRESS"], name="GluedEmailRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        if "EMAIL_ADDRESS" not in entities:
            return []
        results = []
        for match in _GLUED.finditer(text):
            local = match.group(0).partition("@")[0]
            if local.startswith(".") or local.endswith(".") or match.group(1) + match.group(2) in RESERVED_TLDS:
                continue  # not an address, or a whole one at a reserved domain (`a@nowhere.invalid` is not `.in`)
            results.append(RecognizerResult("EMAIL_ADDRESS", match.start(), match.end(1), 0.8))
        return results


_PHONE_CONTEXT = re.compile(
    r"(?i)(?<![a-z])(?:call|phone|tel|telephone|mobile|cell|fax|whatsapp|text|sms|reach|ring|dial)"
    r"(?:\s+(?:me|us|him|her|them))?(?:\s+(?:at|on|via))?\s*[:#]?\s*"
    r"(\+?\(?\d(?:[ ().-]{0,2}\d){6,14})(?![\d\w])"
)


class ContextPhoneRecognizer(EntityRecognizer):
    """7-15 digits right after words that say a phone number follows (`call me at (71) 355-018`, `phone:
    31 455 120 8080`): numbers phonenumbers does not validate in our regions but the text says are phones."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PHONE_NUMBER"], name="ContextPhoneRecognizer", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text, entities, nlp_artifacts=None):
        if "PHONE_NUMBER" not in entities:
            return []
        return [
            RecognizerResult("PHONE_NUMBER", m.start(1), m.end(1), 0.4)
            for m in _PHONE_CONTEXT.finditer(text)
            if 7 <= sum(ch.isdigit() for ch in m.group(1)) <= 15
        ]


def extra_recognizers() -> list:
    return [CardRangeRecognizer(), InternationalPhoneRecognizer(), GluedEmailRecognizer(), ContextPhoneRecognizer()]
