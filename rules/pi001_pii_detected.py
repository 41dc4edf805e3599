from dataclasses import dataclass, field

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import PrepareAction, Rule
from prep.errors import ConfigError, PrepError
from prep.finding import Severity, Spans
from prep.limits import SCAN_CHARS
from prep.measures.pii import (
    DEFAULT_ERROR_ENTITIES,
    DEFAULT_THRESHOLDS,
    DEFAULT_WARNING_ENTITIES,
    PHONE_REGIONS,
    Detector,
)
from prep.measures.pii.given import KnownDetections, given_detections

NER_ENTITIES = ("PERSON", "LOCATION", "NRP")

# Inputs up to this size (pre-commit's files) start loading presidio before they are read (PiiDetected.warm)
WARM_MAX_BYTES = 8 << 20


@dataclass(frozen=True)
class Options:
    error_entities: tuple[str, ...] = DEFAULT_ERROR_ENTITIES
    warning_entities: tuple[str, ...] = DEFAULT_WARNING_ENTITIES
    score_threshold: float = 0.5
    score_thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    phone_regions: tuple[str, ...] = PHONE_REGIONS
    spacy_model: str = ""

    def __post_init__(self) -> None:
        from phonenumbers import SUPPORTED_REGIONS

        for name, value in [("score-threshold", self.score_threshold), *self.score_thresholds.items()]:
            if not 0 <= value <= 1:
                raise ValueError(f"score threshold of {name} must be in [0, 1], got {value}")
        both = set(self.error_entities) & set(self.warning_entities)
        if both:
            raise ValueError(f"entity types listed as both error and warning: {', '.join(sorted(both))}")
        unknown = sorted(set(self.phone_regions) - SUPPORTED_REGIONS)
        if unknown:
            raise ValueError(f"unknown phone regions: {', '.join(unknown)} (two-letter region codes such as US, GB)")


class PiiDetected(Rule):
    """Personal data in a prompt or completion: e-mail addresses, phone numbers, card numbers, national ids.

    ## What it does
    Runs presidio-analyzer on every prompt and completion that could hold personal data and reports one finding
    per row and field, with the entity types found, their counts, and each span's position, score and a masked
    form of the value (`j***@e***.com`, `****1111`): no raw value ever appears in a finding, a report or a log.
    Spans that are placeholders of already redacted text (`[NAME]`, `<EMAIL>`, `{{phone_number}}`) are not PII.
    The finding is an error if any of its types is in `error-entities`, else a warning. The run's summary states
    which entity types were checked, at which scores, with which phone regions and NLP engine.

    **Offline by construction.** The NLP engine is a blank spaCy English pipeline (a tokenizer, nothing to
    download), so presidio's pattern and checksum recognizers work; presidio's e-mail check uses tldextract's
    bundled public-suffix snapshot instead of fetching the list. Naming an installed spaCy model with NER in
    `spacy-model` turns on PERSON, LOCATION and NRP too (as warnings).

    **Fast, with presidio's own results.** A vectorised prefilter over the whole column (one necessary condition
    per entity type, in `prep/measures/pii/`) picks the texts that could hold each type; only those reach presidio,
    asked only for those types, on two processes. Phone numbers are searched in the windows of text that can
    hold one (same results as presidio's recognizer, argued in `prep/measures/pii/` and tested against it). The
    findings are the same as running presidio on every row (`bench/pii_bench.py` compares both on a whole file).

    **The defaults**, chosen on support-ticket style data (the study: `bench/notes/pii-defaults.md`; measured by
    `bench/pii_quality.py`):

    - errors: EMAIL_ADDRESS, CREDIT_CARD (Luhn-checked), US_SSN, IBAN_CODE (checksum), PHONE_NUMBER. Each
      identifies a person or an account and is rarely anything else in ticket text.
    - warnings: IP_ADDRESS (personal data under GDPR, but also server and router addresses in technical
      tickets) and CRYPTO (wallet addresses, checksum-validated; rare). **IP addresses need context**: one is
      reported only when a word in the 60 characters before it says it belongs to someone's connection (`ip`,
      `ipv4`, `ipv6`, presidio's own context words, or `address`, `client`, `user`, `customer`, `visitor`, `login`,
      `connected`, `source`, `remote`, ...; `client_ip` counts). Decision (issue 17): presidio's IP_ADDRESS was
      right on 2 of 46 hits in real data (the rest `::` in code, version-like strings, server addresses), and
      presidio's context mechanism cannot help with the blank pipeline (no lemmas), so prep applies its own
      context words rather than making the type opt-in: a user's address in a log line (`user 81.2.69.160 logged
      in`) is still found, with no setting to remember.
    - **Not personal data, never reported** (issue 17; `prep/measures/pii/plausible.py`): e-mail addresses at
      reserved and documentation domains (RFC 2606 / 6761: `example.com`, `.net`, `.org` and their subdomains,
      any `*.example`, `.test`, `.invalid`, `.localhost`, `.local`); loopback, private, unspecified, link-local,
      multicast, reserved and documentation IP ranges (RFC 5737 / 3849: `127.0.0.1`, `10.x`, `192.168.x`,
      `203.0.113.x`, `2001:db8::`, `::`); and digit strings that are numbers of another kind, where presidio saw
      a phone or card number: decimals and pieces of longer dotted numbers (`3.14159265359`, `14.17.0025.17`),
      year ranges (`86 2020-2021`), Unix timestamps (10 or 13 digits from 2001 to 2033), counting sequences
      (`1 2 3 4 5 6 7 8 9 10`, `0123456789`) and perfect powers (`2147483648`).
    - **Recall beyond presidio** (`prep/measures/pii/recognizers.py`): Luhn-valid 12-19 digit card numbers in the
      Maestro, Diners, JCB, UnionPay, Discover, Visa, Mastercard and Amex ranges that presidio's pattern misses
      (`5018 0000 0009`); numbers written with + and a country code phonenumbers does not validate
      (`+874 330853910`); e-mails glued to the next word (`name@corp.comsend`, reported as `name@corp.com`,
      score 0.8); 7-15 digits right after a word saying a phone number follows (`call me at (71) 355-018`,
      score 0.4). The prefilter lets through every text they can match (tested).
    - off: UK_NHS (fires on US phone numbers written 212-555-0199 or +1 212 555 0199, about one in eleven in
      our measurements); MEDICAL_LICENSE (scores 1.0 on account and ticket numbers such as `BX6453790`: 0.9% of
      plain generated tickets); US_DRIVER_LICENSE, US_PASSPORT and US_BANK_NUMBER (letters-and-digits or digit-run
      patterns scoring 0.3 or less without context, so they cannot pass 0.5, and at 0.3 US_DRIVER_LICENSE alone
      flags 17% of plain tickets, on order and ticket numbers); US_ITIN (a 9xx-xx-xxxx tax id, found in none of
      our data; check it if yours holds US tax records); URL and DATE_TIME (not
      personal by themselves); MAC_ADDRESS and UUID (device and record ids). Add any of them to a list to check
      it.
    - score threshold 0.5, and 0.4 for PHONE_NUMBER: presidio scores every phone number 0.4 unless context
      words raise it, which the blank pipeline cannot do (it has no lemmas); card, IBAN and crypto matches
      that pass their checksum score 1.0, e-mails 1.0, SSNs in the 3-2-4 form 0.5, while SSN's "very weak"
      forms (any 9 digits) score 0.05 and stay out.
    - locale: English, and phone numbers in the US, GB, FR, IL, IN, CA and BR formats: presidio's default
      regions without DE, whose 4- and 5-digit national numbers (`16 48`) made dates, house numbers and
      version strings into phone numbers. Numbers written with + and a country code are found whatever the
      region.

    ## Measured
    Issue 17, before and after, with the default options:

    - every string field of each dataset in ../shared/data (`python bench/pii_datasets.py`; before: the same
      command on the code before issue 17), texts with a detection: mbpp.jsonl 25 -> 5 (12 CREDIT_CARD and
      7 PHONE_NUMBER spans on decimals, `-2147483648` and `0123456789`, 4 IP_ADDRESS on `::` and `192.168.0.1`:
      gone; left: 2 addresses at real mail domains in `check_email` tests, errors, and 3 public addresses in
      `check_IP` tests, warnings); mbpp_prompt_completion 4 -> 0; gpteacher_toolformer 9 -> 0 (`ping 8.8.8.8`
      and other addresses with no word saying whose, reserved domains, decimals); alpaca_demo 5 -> 2 texts
      (the decimals of a worked trigonometry answer, `(555) 123-4567` and `John.Doe-123%+@example-domain.com`
      gone; the e-mails of a table at `email.com` kept); pii_small's
      546 strings 43 -> 44; support_tickets 151 -> 151 (every customer e-mail kept); clinc150 train and val,
      dbpedia, toy chat 0 -> 0.
    - `prep lint <file> --model llama3-8b --select PI001 --format json`: mbpp_prompt_completion.jsonl 4 findings
      (2 errors, 2 warnings) -> 0; every other dataset 0 -> 0 (support_tickets.csv has no prompt/completion
      columns to lint).
    - pii_small, row level (`python bench/pii_quality.py`; before: the same command on the code before issue
      17): precision 1.00 for every type, before and after; recall EMAIL_ADDRESS, CREDIT_CARD, US_SSN and
      IP_ADDRESS 1.00 -> 1.00, PHONE_NUMBER 0.67 -> 1.00 (the two misses, of 8 and 12 digits, are valid numbers
      in no region; now found after a phone word, `call me at`).
    - the seeded labelled set of `tests/test_pii_recall.py` (same command): CREDIT_CARD, 320 card rows of every
      issuer range and length and 320 negatives, row recall 0.456 (presidio's recognizer) -> 1.000, false-positive
      rows 11 -> 11; PHONE_NUMBER, 275 rows in 11 formats and 150 negatives (versions, seasons, decimals,
      timestamps, counts), recall 0.880 -> 1.000, false-positive rows 51 -> 0.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision
    support_tickets 15/15 (every customer address); alpaca_demo 0/2 (a made-up table of names at `email.com`, a
    real mail domain, so it stays reported). Recall on injected values: CREDIT_CARD 49/49 (Visa, Mastercard,
    Amex, Diners, JCB, UnionPay, Maestro, 12 to 19 digits), EMAIL_ADDRESS 42/42 (six mail domains, a third glued
    to the next word), PHONE_NUMBER 42/42 (US with and without extension, dotted, UK, Swiss, German). Before
    issue 17: CREDIT_CARD 35/49, EMAIL_ADDRESS 30/42. Placeholder addresses (`john.doe@`, `jane_doe@`) and
    numbers with area code 555 are not reported; the fictional 555-0100 to 555-0199 range still is (it has valid
    numbers' shape, and this project's own samples use it as personal data).

    ## Why is this bad?
    A fine-tuned model memorises what it is trained on and can repeat it to anyone who prompts it. Customer
    e-mails, phone numbers, card numbers and national ids in training data are a compliance incident waiting to
    happen. Redact them (`prep.measures.pii.redact` replaces each span with `[EMAIL_ADDRESS]` and so on) or drop the rows
    before training.

    ## Example
    ```
    {"prompt": "I'm Ann, reach me at ann.lee@acme-mail.com or (415) 555-0132", "completion": "Thanks Ann!"}
    ```
    `prompt contains PII: EMAIL_ADDRESS x1 (a***@a***.com), PHONE_NUMBER x1 (****0132)`.

    ## Options
    - `error-entities` (list, default as above): presidio entity types reported as errors.
    - `warning-entities` (list, default as above): entity types reported as warnings. A type in neither list is
      not checked.
    - `score-threshold` (float, default `0.5`): the minimum presidio score of a detection.
    - `score-thresholds` (table, default `{PHONE_NUMBER = 0.4}`): minimum scores per entity type, overriding
      `score-threshold`.
    - `phone-regions` (list, default `["US", "GB", "FR", "IL", "IN", "CA", "BR"]`): the regions whose national
      phone formats count (two-letter codes; `phonenumbers` knows them all).
    - `spacy-model` (str, default empty): an installed spaCy pipeline with NER (such as `en_core_web_lg`), for
      PERSON, LOCATION and NRP; nothing is downloaded.
    """

    code = "PI001"
    name = "pii-detected"
    severity = Severity.ERROR
    Options = Options
    prepare = PrepareAction.REDACT

    def entities(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        errors, warnings = self.options.error_entities, self.options.warning_entities
        if self.options.spacy_model:
            warnings = warnings + tuple(e for e in NER_ENTITIES if e not in errors and e not in warnings)
        return errors, warnings

    def detector(self) -> Detector:
        errors, warnings = self.entities()
        return Detector(
            entities=errors + warnings,
            threshold=self.options.score_threshold,
            thresholds=tuple(sorted(self.options.score_thresholds.items())),
            spacy_model=self.options.spacy_model,
            phone_regions=self.options.phone_regions,
        )

    def warm(self, input_bytes):
        """On a small input (pre-commit's), fork the worker that loads presidio now (about a second), while the data
        is read and the other rules run: few candidates go to it, none means it was not needed."""
        if 0 < input_bytes <= WARM_MAX_BYTES:
            detector = self.detector()
            try:
                detector.validate()
            except (ValueError, PrepError):  # start() says what is wrong
                return
            detector.warm_up()

    def settle(self):
        Detector.settle()

    def start(self, ctx):
        """Validate the configuration, then start detection on every text column: with two processes it runs in
        worker processes while the other rules run (it is most of a run's work)."""
        detector = self.detector()
        try:
            detector.validate()
        except ValueError as exc:
            raise ConfigError(f"{self.code} ({self.name}): {exc}") from None
        columns = [(source, field_name) for source in ctx.sources for field_name in TEXT_FIELDS]
        given = [given_detections(ctx, source, field_name, detector) for source, field_name in columns]
        if all(found is not None for found in given):  # computed in the warehouse (PREP_PII)
            pending = KnownDetections(given)
        else:
            ctx.progress("PII candidates")
            pending = detector.detect_many([source.text_rows(field_name)["text"] for source, field_name in columns])
        ctx.on_close(lambda: pending.close(abort=True))
        self._started = (detector, columns, pending)  # the instance lives for exactly this run

    def check(self, ctx):
        errors, _ = self.entities()
        if getattr(self, "_started", None) is None:
            self.start(ctx)
        (detector, columns, pending), self._started = self._started, None
        by_score: dict[float, list[str]] = {}
        for entity in detector.entities:
            by_score.setdefault(detector.min_score(entity), []).append(entity)
        checked = "; ".join(f"{', '.join(names)} at score >= {score:g}" for score, names in by_score.items())
        ctx.notes[self.code] = {
            "text": f"checked {checked or 'nothing'}; phone regions {' '.join(detector.phone_regions)}; "
            f"{'spaCy model ' + detector.spacy_model if detector.spacy_model else 'blank spaCy pipeline (offline, no NER)'}",
            "entities": list(detector.entities),
            "thresholds": {e: detector.min_score(e) for e in detector.entities},
            "phone_regions": list(detector.phone_regions),
            "spacy_model": detector.spacy_model or None,
        }
        ctx.progress("PII detection (waiting for it)")
        results = pending.result()
        for (source, field_name), found in zip(columns, results):
            rows = source.text_rows(field_name)
            row_ids = rows["row"]
            lengths = rows["text"].str.len_chars()
            for index in sorted(found):
                finding = self._finding(source.name, field_name, int(row_ids[index]), found[index], errors)
                if lengths[index] > SCAN_CHARS:  # only its start was scanned (prep.limits)
                    finding.data.update(scanned_chars=SCAN_CHARS, chars=int(lengths[index]))
                yield finding

    def _finding(self, source, field_name, row, detections, errors):
        masks: dict[str, list[str]] = {}
        for d in detections:
            masks.setdefault(d.entity, []).append(d.masked)
        listed = ", ".join(
            f"{entity} x{len(values)} ({', '.join(values[:3])}{', ...' if len(values) > 3 else ''})"
            for entity, values in masks.items()
        )
        return self.finding(
            source,
            f"{field_name} contains PII: {listed}",
            row=row,
            field=field_name,
            severity=Severity.ERROR if any(e in errors for e in masks) else Severity.WARNING,
            entities={entity: len(values) for entity, values in masks.items()},
            evidence=Spans(tuple(detections)),
            spans=[
                {"entity": d.entity, "start": d.start, "end": d.end, "score": d.score, "masked": d.masked}
                for d in detections
            ],
        )
