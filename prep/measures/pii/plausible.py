"""Spans presidio reports that are not personal data (issue 17, item 3): reserved and documentation e-mail domains
(RFC 2606 / 6761), loopback, private, unspecified, link-local and documentation IP addresses (RFC 5737 / 3849),
digit strings that are numbers of another kind: decimals, version strings, year ranges, Unix timestamps and
counting sequences, and placeholders: John and Jane Doe's addresses and North American numbers under area code 555. A filter on presidio's results only: it drops spans, never adds one, so the prefilter stays a
necessary condition and every path (lint, workers, ``PREP_PII``) gives the same results."""

from __future__ import annotations

import ipaddress
import re
from itertools import pairwise

_RESERVED_SECOND_LEVEL = ("example.com", "example.net", "example.org")
RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local")
_DOC_V4 = tuple(ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
_DOC_V6 = ipaddress.ip_network("2001:db8::/32")
_YEAR_RANGE = re.compile(r"\b((?:19|20)\d\d)\s?[-\u2013/]\s?((?:19|20)?\d\d)\b")
_GROUPS = re.compile(r"\d+")
# An IP address is personal data only where the text says whose it is: one of these words in the 60 characters
# before it (presidio's own context words for IP_ADDRESS, ip ipv4 ipv6, and words naming a person's connection).
IP_CONTEXT = re.compile(
    r"(?i)(?<![a-z])(?:ip|ipv4|ipv6|ips|address(?:es)?|addr|login|log(?:ged)? ?in|sign(?:ed)? ?in|client|user|visitor|"
    r"customer|subscriber|connect(?:ed|ion)?|source|src|remote)(?![a-z])"
)


# The placeholder person of English examples: john.doe, Jane_Doe-123, johndoe (a local part starting so).
_PLACEHOLDER_LOCAL = re.compile(r"(?i)(?:john|jane)[._-]?doe(?![a-z])")
# A North American number under area code 555: none is in service (phonenumbers does not validate them), so
# `(555) 123-4567` is an example; `212-555-0199` is a valid number's shape and stays a phone.
_NANP_555 = re.compile(r"^(?:\+?1[ .-]?)?\(?555\)?[ .-]?\d{3}[ .-]?\d{4}$")


def placeholder_email(value: str) -> bool:
    """Whether an e-mail address is John or Jane Doe's, the placeholder person."""
    return bool(_PLACEHOLDER_LOCAL.match(value.strip()))


def reserved_domain(value: str) -> bool:
    """Whether an e-mail address is at a reserved or documentation domain (RFC 2606 / 6761)."""
    domain = value.rpartition("@")[2].strip().rstrip(".").lower()
    return domain.endswith(_RESERVED_SECOND_LEVEL) and (
        domain in _RESERVED_SECOND_LEVEL or domain.endswith(tuple("." + d for d in _RESERVED_SECOND_LEVEL))
    ) or domain.rpartition(".")[2] in RESERVED_TLDS


def reserved_ip(value: str) -> bool:
    """Whether an IP address is not one a person uses on the internet: loopback, private, unspecified,
    link-local, multicast, reserved or documentation ranges (RFC 5737 / 3849), or not an address at all (`::`
    inside code such as `s[i::2]`)."""
    text = value.strip().split("/")[0].split("%")[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return True
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_private or ip.is_unspecified or ip.is_link_local or ip.is_multicast or ip.is_reserved:
        return True
    if ip.version == 4:
        return any(ip in n for n in _DOC_V4)
    return ip in _DOC_V6 or text.count(":") == len(text)  # "::"


def _counting(groups: list[str]) -> bool:
    digits = groups[0] if len(groups) == 1 else ""
    if len(digits) >= 6 and all(abs(int(a) - int(b)) == 1 for a, b in pairwise(digits)):
        return True  # 0123456789, 12345654321
    if len(groups) >= 5 and sum(len(g) == 1 for g in groups) * 2 >= len(groups):
        return True  # 1 2 3 4 5 6 7 8 9 10, 2 3 4 6 9 3 2 2 11
    numbers = [int(g) for g in groups]
    return len(numbers) >= 4 and {b - a for a, b in pairwise(numbers)} in ({1}, {-1})


def other_number(text: str, start: int, end: int) -> bool:
    """Whether the digit span ``text[start:end]`` (a phone or card number to presidio) is part of a number of
    another kind: a decimal or a longer dotted number (`3.14159265359`, `84.31372549019608`, version and driver
    strings `14.17.0025.17`), a year range (`86 2020-2021`), a Unix timestamp (10 or 13 digits from 2001 to 2033),
    a counting sequence (`1 2 3 4 5 6 7 8 9 10`, `0123456789`) or a perfect power (`2147483648`)."""
    value = text[start:end]
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    if re.fullmatch(r"\d[.,]", before) or re.fullmatch(r"[.,]\d", after) or re.search(r"[vV]\.?$", before):
        return True  # a decimal part or a piece of a longer dotted number (phonenumbers takes a piece of it)
    if re.fullmatch(r"[(+-]*\d+\.\d+\)?", value.strip()):
        return True  # a decimal
    groups = _GROUPS.findall(value)
    if not groups:
        return False
    stripped = value.strip()
    if "." in stripped and not re.search(r"[ \-()+/xX#]", stripped) and len(groups) >= 4:
        lengths = [len(g) for g in groups]
        if not all(n == 2 for n in lengths) and lengths[-4:] != [1, 3, 3, 4][-len(lengths):]:
            return True  # 14.17.0025.17: dotted groups in no phone layout (01.23.45.67.89 and 1.415.555.0132 are)
    for match in _YEAR_RANGE.finditer(value if len(groups) <= 3 else ""):
        first, second = int(match.group(1)), int(match.group(2))
        second = second if second >= 100 else first // 100 * 100 + second
        if 0 <= second - first <= 1:
            return True
    if len(groups) == 1 and len(groups[0]) in (10, 13) and groups[0][:1] == "1":
        return True  # 1609459200, 1609459200000: seconds or milliseconds since 1970, from 2001 to 2033
    return _counting(groups) or (len(groups) == 1 and _perfect_power(int(groups[0])))


def _perfect_power(n: int) -> bool:
    """2147483648 (2**31), 5159780352 (12**9): constants and powers in code, not phone numbers."""
    for k in range(3, n.bit_length() + 1):
        root = round(n ** (1 / k))
        if any((root + d) ** k == n for d in (-1, 0, 1) if root + d > 1):
            return True
    return False


def not_personal(entity: str, text: str, start: int, end: int) -> bool:
    """Whether a detection of ``entity`` at ``text[start:end]`` is not personal data (see the module's docs)."""
    if entity == "EMAIL_ADDRESS":
        return reserved_domain(text[start:end]) or placeholder_email(text[start:end])
    if entity == "IP_ADDRESS":
        return reserved_ip(text[start:end]) or not IP_CONTEXT.search(text[max(0, start - 60) : start])
    if entity == "PHONE_NUMBER" and _NANP_555.match(text[start:end].strip()):
        return True
    if entity in ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "UK_NHS"):
        return other_number(text, start, end)
    return False
