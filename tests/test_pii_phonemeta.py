"""The metadata condition before phonenumbers (prep/measures/pii/phonemeta.py) never rules out a number the matcher
reports: checked against presidio's own PhoneRecognizer (phonenumbers' matcher over the whole text, every region)
on numbers of every type written every way, and on random digit runs built around the prefixes that matter."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from prep.measures.pii import phonemeta, phones
from prep.measures.pii.detector import Detector
from prep.measures.pii.prefilter import PHONE_REGIONS, PHONE_REGIONS_WITH_DE

_TYPES = [getattr(PhoneNumberType, name) for name in (
    "FIXED_LINE", "MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN",
    "VOICEMAIL")]


def _reference(regions):
    return Detector(entities=("PHONE_NUMBER",), thresholds=(("PHONE_NUMBER", 0.0),), phone_regions=regions)


def _spans(detector, text, windowed):
    return [(d.start, d.end) for d in detector.analyze(text, windowed=windowed)]


def _written(regions) -> list[str]:
    """Example numbers of every type of every region (and of the regions sharing a country code), written
    nationally, internationally without the plus, with the international prefix, with digits changed."""
    out = []
    rng = random.Random(7)
    for region in regions:
        code = phonenumbers.country_code_for_region(region)
        idd = {"US": "011", "CA": "011", "IL": "00", "BR": "0015"}.get(region, "00")
        for other in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[code][:6]:
            for kind in _TYPES:
                number = phonenumbers.example_number_for_type(other, kind)
                if number is None:
                    continue
                national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
                intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL).lstrip("+")
                e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164).lstrip("+")
                nsn = phonenumbers.national_significant_number(number)
                out += [national, intl, e164, nsn, idd + e164, "0" + nsn, f"{code} 0{nsn}", f"{code}0{nsn}",
                        f"{code}-00-{nsn}"]
                changed = "".join(str(rng.randrange(10)) if c.isdigit() and i > 2 else c
                                  for i, c in enumerate(national))
                out.append(changed)
    return [f"call {text} now" for text in out]


def _random_runs(n: int, seed: int) -> list[str]:
    """Runs of digit groups: a first group from the prefixes that change how phonenumbers reads a number (country
    codes, national prefixes, international prefixes, BR carrier codes), then random groups and separators."""
    rng = random.Random(seed)
    starts = ["1", "44", "33", "972", "91", "55", "49", "0", "00", "011", "90", "012", "0015", "5500", "9", "", "0800"]
    separators = ["-", " ", ".", "/", ") ", "-", " ", ""]
    out = []
    for _ in range(n):
        text = rng.choice(starts)
        for _ in range(rng.randint(1, 5)):
            if text:
                text += rng.choice(separators)
            text += "".join(str(rng.randrange(10)) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.15:
            text = "(" + text
        out.append(f"{rng.choice(['tel', 'ref', 'Call', 'id'])} {text}{rng.choice(['.', ' ok', '', ', x', ' ext 12'])}")
    return out


@pytest.mark.parametrize("regions", [PHONE_REGIONS, PHONE_REGIONS_WITH_DE, ("US", "GB", "JP", "AU", "MX")])
def test_written_numbers_are_never_ruled_out(regions):
    detector = _reference(regions)
    texts = _written(regions)
    assert len(texts) > 200
    for text in texts:
        assert _spans(detector, text, True) == _spans(detector, text, False), text


def test_random_runs_same_as_presidio():
    detector = _reference(PHONE_REGIONS)
    found = 0
    for text in _random_runs(1500, seed=1):
        expected = _spans(detector, text, False)
        found += bool(expected)
        assert _spans(detector, text, True) == expected, text
    assert found > 100  # the runs hold numbers, not only noise


@pytest.mark.slow
@pytest.mark.parametrize("regions", [PHONE_REGIONS, PHONE_REGIONS_WITH_DE])
def test_many_random_runs_same_as_presidio(regions):
    detector = _reference(regions)
    for seed in range(2, 6):
        for text in _random_runs(5000, seed=seed):
            assert _spans(detector, text, True) == _spans(detector, text, False), text


def test_rules_out_the_common_non_numbers():
    """Dates, order numbers and card-like digit groups: the runs the benchmark's and real texts are full of."""
    for run in ["2024-06-19", "C-8134977", "06/19/2024", "516-58-7218", "4111 1111 1111 1111"]:
        assert not phonemeta.may_hold_number(run, PHONE_REGIONS), run
    for run in ["(206) 637-9092", "212-921-6386", "020 7946 0018", "01 23 45 67 89", "5500-1294-4763-4859"]:
        assert phonemeta.may_hold_number(run, PHONE_REGIONS), run
    assert phonemeta.possible_regions("(206) 637-9092", PHONE_REGIONS) == ("US", "IN", "CA")  # the matcher finds it in IN too


def test_not_judged_runs_pass():
    for run in ["+41 96 471 07 95", "1-800-FLOWERS", "\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
                "123456789012345678901"]:
        assert phonemeta.possible_regions(run, PHONE_REGIONS) == PHONE_REGIONS, run


def test_the_windows_the_matcher_sees_are_those_of_the_runs():
    """The condition judges phone_runs' runs: what it rules out is what phones skips."""
    text = "Order C-8134977 on 2024-06-19, call (206) 637-9092."
    runs = [text[s:e] for s, e in phones.phone_runs(text, phones._phone_min_digits(PHONE_REGIONS)).runs]
    assert [phonemeta.may_hold_number(r, PHONE_REGIONS) for r in runs] == [False, False, True]
