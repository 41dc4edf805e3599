#!/usr/bin/env python
"""Generate realistic prompt/completion data of a chosen size, with known, injected problems.

    python bench/generate.py --size-mb 100 --out /tmp/bench100.jsonl [--format jsonl|csv|parquet] [--seed 0]

Rows are support tickets of a telecom / internet provider (templates and fillers in ``bench/vocab.py``). A
*classification* row's prompt is an instruction line, a blank line and the ticket; its completion is one of five
labels, with skewed shares (``--label-weights``). A *generative* row (``--generative-share``) asks for an agent
reply and its completion is a short paragraph.

Injected problems, each a share of rows (a row gets at most one): exact duplicates of an earlier row (a quarter of
them differ only in whitespace, which DU001 normalises away), near duplicates (an earlier row with ~5% of the
ticket's words substituted, inserted or deleted), fake PII (e-mail, US phone, Luhn-valid card, SSN, IBAN with a
valid check, IPv4, person name), over-budget rows (a pasted log or chat transcript of 36k-120k characters in the
prompt, or, for a fifth of them, an 8k-40k-character diagnostic dump in a generative completion), broken text
(mojibake, U+FFFD) and template tokens. Originals of duplicates are always plain rows.

The sidecar ``<out>.truth.json`` lists the counts and row indices (0-based record index, as prep's ``row``) of
every injected row, and of duplicates that arose by chance, so that benchmarks can measure recall and precision.

All randomness comes from one seeded numpy Generator, so the same ``--seed`` and ``--size-mb`` give the same file.
Size: rows are written until the UTF-8 bytes written reach the target (for Parquet, which compresses, the target
is the size the same rows would have as JSONL).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter
from itertools import accumulate
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import vocab as V  # noqa: E402

BATCH = 2048
STREAM_CHUNK = 1 << 17
MB = 1_000_000

# --- the random stream ---------------------------------------------------------------------------------------


class Stream:
    """Random integers drawn from numpy in large vectorised chunks, consumed one at a time by the row builder.

    One numpy call per 131,072 draws instead of one per draw: picking fillers costs a list index and a modulo.
    """

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.buf: list[int] = []
        self.i = 0

    def _refill(self) -> None:
        self.buf = self.rng.integers(0, 1 << 53, size=STREAM_CHUNK, dtype=np.int64).tolist()
        self.i = 0

    def draw(self) -> int:
        if self.i >= len(self.buf):
            self._refill()
        v = self.buf[self.i]
        self.i += 1
        return v

    def below(self, n: int) -> int:
        return self.draw() % n

    def between(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return lo + self.draw() % (hi - lo + 1)

    def random(self) -> float:
        return self.draw() / float(1 << 53)

    def pick(self, seq):
        return seq[self.draw() % len(seq)]

    def weighted(self, cum: list[float]) -> int:
        """Index drawn with cumulative weights ``cum`` (last item is the total)."""
        return bisect.bisect_right(cum, self.random() * cum[-1])

    def log_uniform(self, lo: float, hi: float) -> float:
        return math.exp(math.log(lo) + self.random() * (math.log(hi) - math.log(lo)))

    def sample(self, seq, k: int) -> list:
        pool = list(seq)
        return [pool.pop(self.below(len(pool))) for _ in range(min(k, len(pool)))]


# --- slot makers (numbers, dates, identifiers, PII) --------------------------------------------------------------

NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def make_amount(s: Stream) -> str:
    x = s.log_uniform(18, 950)
    form = s.below(10)
    if form < 6:
        return f"${x:,.2f}"
    if form < 9:
        return f"${round(x):,}"
    return f"USD {x:,.2f}"


def make_small_amount(s: Stream) -> str:
    x = s.log_uniform(2, 45)
    return f"${x:.2f}" if s.below(3) else f"${round(x)}"


def make_date(s: Stream) -> str:
    month = s.pick(V.FILLERS["month"])
    day = s.between(1, 28)
    year = s.between(2022, 2025)
    form = s.below(6)
    if form == 0:
        return f"{month} {day}"
    if form == 1:
        return f"{month} {day}, {year}"
    if form == 2:
        return f"{V.FILLERS['month'].index(month) + 1:02d}/{day:02d}/{year}"
    if form == 3:
        return f"the {_ordinal(day)}"
    if form == 4:
        return f"{s.pick(V.FILLERS['weekday'])}, {month} {day}"
    return f"{year}-{V.FILLERS['month'].index(month) + 1:02d}-{day:02d}"


def make_count(lo: int, hi: int):
    def make(s: Stream) -> str:
        n = s.between(lo, hi)
        return NUMBER_WORDS[n - 2] if 2 <= n <= 10 and s.below(2) else str(n)

    return make


def make_data_amount(s: Stream) -> str:
    if s.below(4):
        return f"{s.log_uniform(0.3, 60):.1f} GB"
    return f"{s.between(40, 990)} MB"


def make_speed(s: Stream) -> str:
    if s.below(4):
        return f"{s.log_uniform(0.1, 9):.1f} Mbps"
    return f"{s.between(40, 900)} kbps"


def make_speed_high(s: Stream) -> str:
    return s.pick(["100 Mbps", "200 Mbps", "300 Mbps", "500 Mbps", "1 Gbps", "2 Gbps", "250 Mbps", "940 Mbps"])


def make_person(s: Stream) -> str:
    return f"{s.pick(V.FIRST_NAMES)} {s.pick(V.LAST_NAMES)}"


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().replace("'", "").lower()


def make_email(s: Stream, person: str | None = None) -> str:
    first, last = (person or make_person(s)).split(" ", 1)
    first, last = _ascii(first), _ascii(last)
    domain = s.pick(V.EMAIL_DOMAINS)
    form = s.below(6)
    if form < 4:
        return f"{first}.{last}@{domain}"
    if form == 4:
        return f"{first[0]}{last}@{domain}"
    return f"{first}.{last}{s.between(1, 99)}@{domain}"


def make_phone(s: Stream) -> str:
    area = s.pick([555, 212, 312, 415, 646, 617, 202, 305, 404, 512, 602, 713, 206, 303, 702, 801, 919])
    exchange, line = s.between(200, 999), s.between(0, 9999)
    form = s.below(5)
    if form < 2:
        return f"({area}) {exchange}-{line:04d}"
    if form == 2:
        return f"{area}-{exchange}-{line:04d}"
    if form == 3:
        return f"+1 {area} {exchange} {line:04d}"
    return f"{area}.{exchange}.{line:04d}"


def luhn_check_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def make_credit_card(s: Stream) -> str:
    """A Luhn-valid number: Amex (15 digits, 4-6-5) or Visa / Mastercard / Discover (16 digits, 4-4-4-4)."""
    prefix = s.pick(["34", "37", "4", "4", "4", "51", "52", "53", "54", "55", "6011"])
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + "".join(str(s.below(10)) for _ in range(length - 1 - len(prefix)))
    number = body + luhn_check_digit(body)
    cuts = (0, 4, 10, 15) if length == 15 else (0, 4, 8, 12, 16)
    groups = [number[a:b] for a, b in zip(cuts, cuts[1:])]
    form = s.below(3)
    return number if form == 0 else (" " if form == 1 else "-").join(groups)


def make_exp(s: Stream) -> str:
    return f"{s.between(1, 12):02d}/{s.between(25, 31)}"


def make_ssn(s: Stream) -> str:
    area = s.between(1, 898)
    if area >= 666:
        area += 1  # skip 666; 9xx areas are never issued
    return f"{area:03d}-{s.between(1, 99):02d}-{s.between(1, 9999):04d}"


def _iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    numeric = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(numeric) % 97 == 1


def make_iban(s: Stream) -> str:
    country = s.pick([shape[0] for shape in V.IBAN_SHAPES])
    digits = lambda n: "".join(str(s.below(10)) for _ in range(n))  # noqa: E731
    letters = lambda n: "".join(chr(65 + s.below(26)) for _ in range(n))  # noqa: E731
    bban = {
        "DE": lambda: digits(18),
        "GB": lambda: letters(4) + digits(14),
        "FR": lambda: digits(23),
        "NL": lambda: letters(4) + digits(10),
        "ES": lambda: digits(20),
        "IT": lambda: letters(1) + digits(22),
    }[country]()
    iban = country + _iban_check(country, bban) + bban
    if s.below(5) < 3:
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def make_ipv4(s: Stream) -> str:
    first = s.pick([23, 24, 34, 45, 50, 52, 63, 64, 66, 68, 70, 71, 73, 76, 96, 98, 99, 104, 107, 108, 142, 174, 184, 203, 208])
    return f"{first}.{s.below(256)}.{s.below(256)}.{s.between(1, 254)}"


def make_timestamp_hms(s: Stream) -> str:
    return f"{s.between(8, 21):02d}:{s.below(60):02d}:{s.below(60):02d}"


MAKERS = {
    "amount": make_amount,
    "small_amount": make_small_amount,
    "date": make_date,
    "year": lambda s: str(s.between(2023, 2025)),
    "n_days": make_count(2, 21),
    "n_times": lambda s: s.pick(["three", "five", "a dozen", "several", "10", "4", "two", "many"]),
    "n_lines": make_count(2, 5),
    "years": lambda s: str(s.between(1, 25)),
    "minutes": lambda s: str(s.between(10, 150)),
    "data_amount": make_data_amount,
    "speed": make_speed,
    "speed_high": make_speed_high,
    "account_no": lambda s: s.pick(["AC-{:07d}", "ACC-{:07d}", "AC {:07d}", "BX{:07d}"]).format(s.below(10**7)),
    "order_no": lambda s: s.pick(["ORD-{:07d}", "#W{:07d}", "ORD{:07d}"]).format(s.below(10**7)),
    "ticket_no": lambda s: s.pick(["TKT-{:06d}", "SR{:07d}", "CS-{:05d}"]).format(s.below(10**6)),
    "case_no": lambda s: f"PR-{s.below(10**6):06d}",
    "ref_no": lambda s: f"REF{s.below(10**6):06d}",
    "day_ordinal": lambda s: _ordinal(s.between(1, 28)),
    # PII
    "person": make_person,
    "email": make_email,
    "phone": make_phone,
    "credit_card": make_credit_card,
    "exp": make_exp,
    "ssn": make_ssn,
    "iban": make_iban,
    "ipv4": make_ipv4,
    # logs
    "pid": lambda s: str(s.between(100, 9999)),
    "n_small": lambda s: str(s.between(1, 9)),
    "cell": lambda s: f"{s.below(1 << 28):07x}",
    "band": lambda s: s.pick(["n71", "n41", "n25", "n77", "B2", "B4", "B12", "B66", "B13", "B71", "B7", "B20"]),
    "rsrp": lambda s: str(s.between(70, 124)),
    "rsrq": lambda s: str(s.between(3, 20)),
    "sinr": lambda s: f"{s.log_uniform(0.5, 30):.1f}",
    "client": lambda s: s.pick(["Pixel-7a", "Living-Room-TV", "iPad", "Work-Laptop", "Echo-Dot", "Xbox", "Galaxy-S23",
                               "Ring-Doorbell", "Kids-Tablet", "MacBook-Air", "Thermostat", "PS5", "Chromecast"]),
    "wifi_band": lambda s: s.pick(["2.4GHz", "5GHz", "6GHz"]),
    "host": lambda s: s.pick(V.LOG_HOSTS),
    "ms": lambda s: str(s.between(5, 3000)),
    "mbps": lambda s: f"{s.log_uniform(0.1, 400):.1f}",
    "mbps_up": lambda s: f"{s.log_uniform(0.05, 40):.2f}",
    "fw": lambda s: f"v{s.between(1, 4)}.{s.between(0, 12)}.{s.between(0, 40)}",
    "link_state": lambda s: s.pick(["up", "down", "up", "flapping"]),
    "on_off": lambda s: s.pick(["on", "off"]),
    "zone": lambda s: s.pick(["EU", "LATAM", "APAC", "CA/MX", "CARIB", "MEA", "CRUISE"]),
    "temp": lambda s: str(s.between(58, 96)),
    "hms": make_timestamp_hms,
}


class Slots(dict):
    """Slot values of one row, drawn on first use, so a slot named twice keeps its value (``city2`` is another)."""

    __slots__ = ("s",)

    def __init__(self, s: Stream) -> None:
        super().__init__()
        self.s = s

    def __missing__(self, key: str) -> str:
        base = key if key in V.FILLERS or key in MAKERS else key.rstrip("0123456789")
        fillers = V.FILLERS.get(base)
        value = self.s.pick(fillers) if fillers is not None else MAKERS[base](self.s)
        self[key] = value
        return value


# --- tickets and replies ---------------------------------------------------------------------------------------

# Sentence starts that read naturally lower-cased after "Also, " and friends.
LOWERABLE = {
    "My", "The", "Please", "This", "Can", "Is", "How", "Your", "Why", "Since", "Ever", "Does", "Could", "We",
    "What", "Do", "Speed", "Streaming", "Web", "Games", "Downloading", "Upload", "Video", "Roaming", "These",
    "After", "On", "In", "Find", "Close", "It's", "Ticket", "Reference", "Order", "Someone", "Are", "Nobody",
    "That", "Pages", "All", "Hoping", "It", "Ask",
}
BODY_SIZES = [2, 3, 4, 5, 6, 7, 8]
BODY_SIZE_CUM = list(accumulate([10, 22, 24, 18, 12, 8, 6]))


def _cap(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:] if sentence else sentence


def _with_prefix(s: Stream, sentence: str) -> str:
    first, _, rest = sentence.partition(" ")
    if first in LOWERABLE:
        sentence = first.lower() + " " + rest
    return s.pick(V.FILLERS["filler_adverb"]) + sentence


def ticket_sentences(s: Stream, label: str, slots: Slots) -> tuple[str | None, list[str], str | None]:
    """(greeting, body sentences, closing) of one ticket, filled."""
    n = BODY_SIZES[s.weighted(BODY_SIZE_CUM)]
    n_topic = 1 if n < 4 else 1 + s.below(2)
    has_ask = s.random() < 0.6 and n >= 2
    has_feeling = s.random() < 0.35 and n - n_topic - has_ask >= 1
    n_context = max(0, n - n_topic - has_ask - has_feeling)
    topic = [t.format_map(slots) for t in s.sample(V.TOPIC[label], n_topic)]
    rest = [t.format_map(slots) for t in s.sample(V.CONTEXT, n_context)]
    if has_feeling:
        rest.append(V.FEELING[label].format_map(slots))
    # Word order: usually the problem comes first, but not always; context is shuffled.
    rest = s.sample(rest, len(rest))
    body = (topic + rest) if s.random() < 0.7 else s.sample(topic + rest, len(topic) + len(rest))
    body = [_cap(x) for x in body]
    for i in range(1, len(body)):
        if s.random() < 0.08:
            body[i] = _with_prefix(s, body[i])
    if has_ask:
        body.append(s.pick(V.ASK[label]))
    greeting = s.pick(V.FILLERS["greeting"]) if s.random() < 0.55 else None
    closing = s.pick(V.FILLERS["closing"]) if s.random() < 0.5 else None
    return greeting, body, closing


EMOJI = ["\U0001F64F", "\U0001F621", "\U0001F4F1", "\U0001F44D", "\U0001F624", "\U0001F642", "\U0001F62D",
         "\U0001F937", "\u2708\ufe0f", "\U0001F4B8", "\U0001F40C", "\U0001F4F6"]


def join_ticket(s: Stream, greeting: str | None, body: list[str], closing: str | None, emoji_share: float) -> str:
    if greeting and greeting.endswith(",") and s.below(2):
        first, _, rest = body[0].partition(" ")
        if first in LOWERABLE:
            body = [first.lower() + " " + rest, *body[1:]]
    parts = ([greeting] if greeting else []) + body + ([closing] if closing else [])
    text = " ".join(parts)
    if s.below(10) == 0:  # typed on a phone: curly apostrophes
        text = text.replace("'", "\u2019")
    if s.random() < emoji_share:  # typed on a phone: an emoji or two (outside the BMP, as most are)
        text = text + " " + s.pick(EMOJI) if s.below(2) else text.replace(". ", f" {s.pick(EMOJI)} ", 1)
    style = s.below(100)
    if style < 7:  # typed in a hurry
        text = text.lower()
    elif style < 11:
        text = text.replace(". ", "!! ", 1)
    elif style < 14:
        text = text.rstrip(".")
    elif style < 16:
        text = text.replace(" ", "  ", 1)  # stray double space (normalised away by the duplicate rules)
    return text


def agent_reply(s: Stream, label: str, slots: Slots) -> str:
    parts = []
    if s.random() < 0.8:
        parts.append(s.pick(V.FILLERS["agent_open"]))
    parts += [_cap(t.format_map(slots)) for t in s.sample(V.AGENT_ACTION[label], 1 + s.below(2))]
    if s.random() < 0.7:
        parts.append(s.pick(V.FILLERS["agent_next"]).format_map(slots))
    if s.random() < 0.6:
        parts.append(s.pick(V.FILLERS["agent_close"]))
    return " ".join(parts)


# --- long pasted text ------------------------------------------------------------------------------------------


def log_text(s: Stream, chars: int) -> str:
    """Modem / network log lines with increasing timestamps, at least ``chars`` characters."""
    t = s.between(0, 300 * 86400) + 1_700_000_000
    pid = s.between(100, 9999)
    lines, size = [], 0
    while size < chars:
        t += s.between(1, 90)
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        slots = Slots(s)
        slots["ts"], slots["pid"] = ts, str(pid)
        line = s.pick(V.LOG_LINES).format_map(slots)
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def transcript_text(s: Stream, label: str, chars: int) -> str:
    """A pasted chat transcript between the customer and agents, at least ``chars`` characters."""
    lines, size = [], 0
    h, m, sec = s.between(8, 20), s.below(60), s.below(60)
    while size < chars:
        slots = Slots(s)
        sec += s.between(5, 120)
        m, sec = m + sec // 60, sec % 60
        h, m = (h + m // 60) % 24, m % 60
        stamp = f"[{h:02d}:{m:02d}:{sec:02d}]"
        if s.below(2):
            _, body, _ = ticket_sentences(s, s.pick(V.LABELS) if s.below(4) == 0 else label, slots)
            line = f"{stamp} Customer: {' '.join(body[: 1 + s.below(3)])}"
        else:
            line = f"{stamp} Agent: {agent_reply(s, label, slots)}"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


# --- injections --------------------------------------------------------------------------------------------------

AGENT_PII_TEMPLATES = {
    "email": ["I've sent the details to {email}.", "You'll get a receipt at {email}."],
    "phone": ["We'll call you back at {phone} within the hour.", "A technician will text {phone} before arriving."],
    "person": ["Your case is assigned to {person}.", "My colleague {person} will follow up."],
    "ipv4": ["Your modem is now reachable at {ipv4}.", "I can see your gateway at {ipv4} is online again."],
}

MOJIBAKE = {"\u2019": "\u00e2\u20ac\u2122", "\u201c": "\u00e2\u20ac\u0153", "\u2013": "\u00e2\u20ac\u201c",
            "\u00e9": "\u00c3\u00a9", "\u00fc": "\u00c3\u00bc", "\u00f3": "\u00c3\u00b3", "\u00e3": "\u00c3\u00a3",
            "\u00a3": "\u00c2\u00a3", "\u00ed": "\u00c3\u00ad", "\u00e1": "\u00c3\u00a1"}
MOJIBAKE_RE = re.compile("|".join(map(re.escape, MOJIBAKE)))

TEMPLATE_INJECTIONS = [
    ("prompt", "[INST] {prompt} [/INST]", ["[INST]", "[/INST]"]),
    ("prompt", "<|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>",
     ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]),
    ("completion", "{completion}<|eot_id|>", ["<|eot_id|>"]),
    ("completion", "{completion}</s>", ["</s>"]),
]


def mojibake(text: str, s: Stream) -> str:
    text = text.replace("'", "\u2019")
    if not MOJIBAKE_RE.search(text):
        text = text + " I\u2019m not sure what else to do."
    return MOJIBAKE_RE.sub(lambda m: MOJIBAKE[m.group(0)], text)


def replacement_char(text: str, s: Stream) -> str:
    positions = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = s.pick(positions) if positions else len(text)
    return text[:i] + "\ufffd" + text[i + 1 :]


def near_duplicate(text: str, s: Stream, words_pool: list[str], rate: float) -> tuple[str, list[str]]:
    """``text`` with about ``rate`` of its words substituted, inserted or deleted (at least one edit)."""
    original = text.split()
    while True:
        words = list(original)
        n_edits = max(1, sum(1 for _ in words if s.random() < rate))
        ops = []
        for _ in range(n_edits):
            op = s.pick(("substitute", "insert", "delete")) if len(words) > 3 else "insert"
            i = s.below(len(words))
            if op == "substitute":
                new = s.pick(words_pool)
                while new == words[i]:
                    new = s.pick(words_pool)
                words[i] = new
            elif op == "insert":
                words.insert(i, s.pick(words_pool))
            else:
                del words[i]
            ops.append(op)
        if words != original:  # an insert and a delete can cancel out
            return " ".join(words), ops


def vocabulary() -> list[str]:
    """Every distinct word of the templates and fillers (the pool near duplicates draw edits from)."""
    texts = [x for v in V.FILLERS.values() for x in v]
    texts += [x for v in V.TOPIC.values() for x in v] + V.CONTEXT + [x for v in V.AGENT_ACTION.values() for x in v]
    words = set()
    for t in texts:
        for w in re.sub(r"\{[a-z_0-9]+\}", " ", t).split():
            w = w.strip(".,!?;:()\"")
            if w.isalpha() and len(w) > 1:
                words.add(w)
    return sorted(words)


# --- serialisation -----------------------------------------------------------------------------------------------


def jsonl_line(prompt: str, completion: str) -> str:
    return json.dumps({"prompt": prompt, "completion": completion}, ensure_ascii=False) + "\n"


def _csv_field(value: str) -> str:
    if any(ch in value for ch in ',"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_line(prompt: str, completion: str) -> str:
    return _csv_field(prompt) + "," + _csv_field(completion) + "\n"


_WS = re.compile(r"\s+")


def dedup_key(prompt: str, completion: str) -> tuple[int, int]:
    """Hashes of the prompt and of the pair after prep's normalisation (NFC, whitespace runs to one space, strip)."""
    p = _WS.sub(" ", unicodedata.normalize("NFC", prompt)).strip()
    c = _WS.sub(" ", unicodedata.normalize("NFC", completion)).strip()
    return hash(p), hash((p, c))


# --- the generator -----------------------------------------------------------------------------------------------


def generate(args: argparse.Namespace) -> dict:
    started = time.perf_counter()
    s = Stream(args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    target = int(args.size_mb * MB)
    label_cum = list(accumulate(args.label_weights))
    classify_cum = list(accumulate(V.CLASSIFY_INSTRUCTION_WEIGHTS))
    generate_cum = list(accumulate(V.GENERATE_INSTRUCTION_WEIGHTS))
    prefix_cum = list(accumulate(V.TICKET_PREFIX_WEIGHTS))
    pii_cum = list(accumulate(V.PII_TYPE_WEIGHTS))
    shares = [
        ("dup", args.dup_share),
        ("near", args.near_dup_share),
        ("pii", args.pii_share),
        ("over", args.over_budget_share),
        ("broken", args.broken_share),
        ("template", args.template_share),
    ]
    kind_cum = list(accumulate(share for _, share in shares))
    if kind_cum[-1] >= 1:
        sys.exit("generate.py: the injected shares add up to 1 or more")
    words_pool = vocabulary()

    prompts: list[str] = []  # every row, kept for duplicates (about 1.1x the output size in memory)
    completions: list[str] = []
    heads: list[int] = []  # where the ticket starts in each prompt (near duplicates edit only the ticket)
    row_labels: list[str] = []
    row_tasks: list[str] = []
    plain: list[int] = []  # rows that may be copied
    first_by_pair: dict[int, int] = {}
    first_by_prompt: dict[int, tuple[int, int]] = {}
    truth: dict = {
        "exact_duplicates": [],
        "near_duplicates": [],
        "pii": [],
        "over_budget_prompt": [],
        "over_budget_completion": [],
        "broken_text": [],
        "template_tokens": [],
        "accidental_exact_duplicates": [],
        "accidental_conflicting_completions": [],
    }
    labels: Counter = Counter()
    tasks: Counter = Counter()
    written = 0
    text_bytes = 0

    if args.format == "parquet":
        sink = None
        line_of = jsonl_line
    else:
        sink = out.open("w", encoding="utf-8", newline="")
        line_of = jsonl_line if args.format == "jsonl" else csv_line
        if args.format == "csv":
            written += sink.write("prompt,completion\n")

    def base_row(label: str, generative: bool, slots: Slots) -> tuple[str, int, str]:
        if generative:
            instruction = V.GENERATE_INSTRUCTIONS[s.weighted(generate_cum)]
        else:
            instruction = V.CLASSIFY_INSTRUCTIONS[s.weighted(classify_cum)]
        head = instruction + "\n\n" + V.TICKET_PREFIXES[s.weighted(prefix_cum)]
        greeting, body, closing = ticket_sentences(s, label, slots)
        return head, len(head), join_ticket(s, greeting, body, closing, args.emoji_share)

    row = 0
    done = False
    while not done:
        lines: list[str] = []
        for _ in range(BATCH):
            u = s.random()
            kind = shares[bisect.bisect_right(kind_cum, u)][0] if u < kind_cum[-1] else "plain"
            if kind in ("dup", "near") and not plain:
                kind = "plain"
            if kind == "dup":
                orig = s.pick(plain)
                prompt, completion, head = prompts[orig], completions[orig], heads[orig]
                variant = "exact"
                if s.below(4) == 0:
                    variant = "whitespace"
                    prompt = prompt + " " if s.below(2) else prompt[:head] + prompt[head:].replace(" ", "  ", 1)
                label, task = row_labels[orig], row_tasks[orig]
                truth["exact_duplicates"].append({"row": row, "original": orig, "variant": variant})
            elif kind == "near":
                orig = s.pick(plain)
                head = heads[orig]
                edited, ops = near_duplicate(prompts[orig][head:], s, words_pool, args.near_dup_rate)
                prompt, completion = prompts[orig][:head] + edited, completions[orig]
                label, task = row_labels[orig], row_tasks[orig]
                truth["near_duplicates"].append({"row": row, "original": orig, "edits": len(ops), "ops": ops})
            else:
                label = V.LABELS[s.weighted(label_cum)]
                generative = s.random() < args.generative_share
                over_field = None
                if kind == "over":
                    over_field = "completion" if s.random() < args.over_completion_fraction else "prompt"
                    generative = generative or over_field == "completion"
                task = "generate" if generative else "classify"
                slots = Slots(s)
                prefix, head, ticket = base_row(label, generative, slots)
                completion = agent_reply(s, label, slots) if generative else label
                if kind == "pii":
                    ticket, completion, entities, field = inject_pii(s, ticket, completion, generative, pii_cum)
                    truth["pii"].append({"row": row, "field": field, "types": sorted({e["type"] for e in entities}),
                                         "entities": entities})
                elif over_field == "completion":
                    chars = int(s.log_uniform(8_000, 40_000))
                    completion += "\n\nFull diagnostic report for your records:\n" + log_text(s, chars)
                    truth["over_budget_completion"].append({"row": row, "chars": len(completion)})
                elif over_field == "prompt":
                    chars = int(s.log_uniform(36_000, 120_000))
                    intro = s.pick(V.TRANSCRIPT_INTROS)
                    pasted = log_text(s, chars) if s.below(2) else transcript_text(s, label, chars)
                    ticket = ticket + "\n\n" + intro + "\n" + pasted
                    truth["over_budget_prompt"].append({"row": row, "chars": len(prefix) + len(ticket)})
                elif kind == "broken":
                    in_completion = generative and s.random() < 0.3
                    how = "mojibake" if s.random() < 0.7 else "replacement_character"
                    damage = mojibake if how == "mojibake" else replacement_char
                    if in_completion:
                        completion = damage(completion, s)
                    else:
                        ticket = damage(ticket, s)
                    truth["broken_text"].append({"row": row, "field": "completion" if in_completion else "prompt",
                                                 "kind": how})
                prompt = prefix + ticket
                if kind == "template":
                    field, pattern, tokens = s.pick(TEMPLATE_INJECTIONS)
                    if field == "prompt":
                        prompt = pattern.format(prompt=prompt)
                    else:
                        completion = pattern.format(completion=completion)
                    truth["template_tokens"].append({"row": row, "field": field, "tokens": tokens})
            labels[label] += 1
            tasks[task] += 1

            pkey, key = dedup_key(prompt, completion)
            first = first_by_pair.get(key)
            if first is None:
                first_by_pair[key] = row
            elif kind != "dup":
                truth["accidental_exact_duplicates"].append({"row": row, "original": first})
            if kind == "dup":
                truth["exact_duplicates"][-1]["kept"] = first if first is not None else row
            seen = first_by_prompt.get(pkey)
            if seen is None:
                first_by_prompt[pkey] = (row, key)
            elif seen[1] != key:
                truth["accidental_conflicting_completions"].append({"row": row, "first_row": seen[0]})

            if kind == "plain" and first is None:
                plain.append(row)
            prompts.append(prompt)
            completions.append(completion)
            heads.append(head)
            row_labels.append(label)
            row_tasks.append(task)
            line = line_of(prompt, completion)
            written += len(line.encode("utf-8"))
            text_bytes += len(prompt.encode("utf-8")) + len(completion.encode("utf-8"))
            lines.append(line)
            row += 1
            if written >= target:
                done = True
                break
        if sink is not None:
            sink.write("".join(lines))
    if sink is not None:
        sink.close()
    else:
        import polars as pl

        pl.DataFrame({"prompt": prompts, "completion": completions}).write_parquet(out)
    gen_seconds = time.perf_counter() - started

    token_note = add_token_counts(truth, prompts, completions) if args.token_counts else "skipped (--no-token-counts)"
    pii_types = Counter(e["type"] for r in truth["pii"] for e in r["entities"])
    result = {
        "file": str(out),
        "format": args.format,
        "seed": args.seed,
        "target_bytes": target,
        "bytes": out.stat().st_size,
        "size_measure": "bytes written" if args.format != "parquet" else "JSONL bytes of the same rows",
        "measured_bytes": written,
        "text_bytes": text_bytes,
        "rows": row,
        "seconds": round(gen_seconds, 2),
        "params": {k: v for k, v in vars(args).items() if k not in ("out",)},
        "labels": dict(sorted(labels.items(), key=lambda kv: V.LABELS.index(kv[0]))),
        "tasks": dict(tasks),
        "counts": {
            "exact_duplicates": len(truth["exact_duplicates"]),
            "near_duplicates": len(truth["near_duplicates"]),
            "pii_rows": len(truth["pii"]),
            "pii_entities": dict(sorted(pii_types.items())),
            "over_budget_prompt": len(truth["over_budget_prompt"]),
            "over_budget_completion": len(truth["over_budget_completion"]),
            "broken_text": len(truth["broken_text"]),
            "template_tokens": len(truth["template_tokens"]),
            "accidental_exact_duplicates": len(truth["accidental_exact_duplicates"]),
            "accidental_conflicting_completions": len(truth["accidental_conflicting_completions"]),
        },
        "token_counts": token_note,
        "notes": {
            "rows": "0-based record index, the same as prep's `row`",
            "exact_duplicates": "original = the copied row; kept = the first row with the same normalised pair "
                                "(what DU001 names); variant 'whitespace' differs only in whitespace",
            "near_duplicates": "a copy of `original` with `edits` word edits in the ticket text only",
            "over_budget": "chars of the field; tokens/over_models filled when prep is importable "
                           "(margin 16, prep's catalog)",
            "accidental": "duplicates that arose by chance between generated rows (not injected)",
        },
        **truth,
    }
    Path(str(out) + ".truth.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return result


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def inject_pii(s: Stream, ticket: str, completion: str, generative: bool, pii_cum: list[float]):
    n_types = 1 if s.random() < 0.6 else (2 if s.random() < 0.75 else 3)
    types: list[str] = []
    while len(types) < n_types:
        t = V.PII_TYPES[s.weighted(pii_cum)]
        if t not in types:
            types.append(t)
    in_completion = generative and s.random() < 0.15 and all(t in AGENT_PII_TEMPLATES for t in types)
    slots = Slots(s)
    if "person" in types and "email" in types:
        slots["email"] = make_email(s, slots["person"])
    entities, sentences = [], []
    for t in types:
        templates = AGENT_PII_TEMPLATES[t] if in_completion else V.PII_TEMPLATES[t]
        sentences.append(s.pick(templates).format_map(slots))
        entities.append({"type": t, "value": slots[t]})
    if in_completion:
        parts = SENTENCE_END.split(completion)
        for sentence in sentences:
            parts.insert(s.between(1, len(parts)), sentence)
        return ticket, " ".join(parts), entities, "completion"
    parts = SENTENCE_END.split(ticket)
    for sentence in sentences:
        if sentence.startswith("Signed"):
            parts.append(sentence)
        else:
            parts.insert(s.between(min(1, len(parts)), len(parts)), sentence)
    return " ".join(parts), completion, entities, "prompt"


def add_token_counts(truth: dict, prompts: list[str], completions: list[str]) -> str:
    """Exact token counts of the over-budget rows, and the models each exceeds, when prep can be imported."""
    try:
        from prep.api import count_tokens
        from prep.catalog import load_catalog
        from prep.config import Settings
    except Exception as exc:  # the generator works without prep
        return f"skipped (prep not importable: {exc})"
    catalog = load_catalog()
    margin = Settings().margin
    families = {}
    for model in catalog.values():
        families.setdefault(model.tokenizer, model.name)
    for key, texts, field in (("over_budget_prompt", prompts, "prompt"), ("over_budget_completion", completions, "completion")):
        entries = truth[key]
        if not entries:
            continue
        rows = [texts[e["row"]] for e in entries]
        counts = {family: count_tokens(model, rows) for family, model in families.items()}
        for i, entry in enumerate(entries):
            entry["tokens"] = {family: counts[family][i] for family in families}
            entry["over_models"] = [
                m.name for m in catalog.values() if counts[m.tokenizer][i] + margin > m.budget(field)
            ]
    return f"exact, by prep (margin {margin})"


def parse_weights(text: str) -> tuple[float, ...]:
    weights = tuple(float(x) for x in text.split(","))
    if len(weights) != len(V.LABELS) or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise argparse.ArgumentTypeError(f"need {len(V.LABELS)} non-negative weights for {', '.join(V.LABELS)}")
    return weights


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size-mb", type=float, required=True, help="target size in MB (10^6 bytes)")
    p.add_argument("--out", required=True, help="output file; <out>.truth.json is written beside it")
    p.add_argument("--format", choices=("jsonl", "csv", "parquet"), help="default: from the --out suffix, else jsonl")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dup-share", type=float, default=0.02, help="exact duplicates of earlier rows")
    p.add_argument("--near-dup-share", type=float, default=0.02, help="near duplicates of earlier rows")
    p.add_argument("--near-dup-rate", type=float, default=0.05, help="share of ticket words edited in a near duplicate")
    p.add_argument("--pii-share", type=float, default=0.05, help="rows with fake PII")
    p.add_argument("--over-budget-share", type=float, default=0.001, help="rows over the llama3-8b token budgets")
    p.add_argument("--over-completion-fraction", type=float, default=0.2,
                   help="fraction of over-budget rows whose completion (not prompt) is too long")
    p.add_argument("--broken-share", type=float, default=0.001, help="rows with mojibake or U+FFFD")
    p.add_argument("--template-share", type=float, default=0.001, help="rows with chat-template tokens")
    p.add_argument("--emoji-share", type=float, default=0.01, help="tickets with an emoji (not a problem; realism)")
    p.add_argument("--generative-share", type=float, default=0.3, help="rows whose completion is an agent reply")
    p.add_argument("--label-weights", type=parse_weights, default=V.LABEL_WEIGHTS,
                   help=f"comma-separated shares of {', '.join(V.LABELS)} (default {','.join(map(str, V.LABEL_WEIGHTS))})")
    p.add_argument("--no-token-counts", dest="token_counts", action="store_false",
                   help="do not count the over-budget rows' tokens with prep")
    args = p.parse_args(argv)
    if args.format is None:
        suffix = Path(args.out).suffix.lower()
        args.format = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "jsonl")
    result = generate(args)
    print(
        f"wrote {result['file']}: {result['rows']:,} rows, {result['bytes']:,} bytes in {result['seconds']} s "
        f"({result['format']}, seed {result['seed']})"
    )
    print(f"truth: {result['file']}.truth.json  {json.dumps(result['counts'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
