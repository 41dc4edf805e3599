"""presidio's AnalyzerEngine built offline: a blank spaCy pipeline (or a named installed model), the e-mail check on
tldextract's bundled public-suffix snapshot, and the windowed phone recognizer."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from prep.errors import DependencyError
from prep.measures.pii import phonemeta, phones
from prep.measures.pii.prefilter import PHONE_REGIONS

LANGUAGE = "en"


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
    min_digits = phones._phone_min_digits(phone_regions) if windowed and phones._char_tables() is not None else None
    if min_digits is None:
        registry.add_recognizer(PhoneRecognizer(supported_regions=phone_regions))
    else:
        from phonenumbers.phonenumbermatcher import _SECOND_NUMBER_START_PATTERN

        class _WindowedPhoneRecognizer(PhoneRecognizer):
            """PhoneRecognizer searching only the windows that can hold a number (see phones.phone_runs): the same
            results as presidio's, which matches the whole text in each region."""

            def analyze(self, text, entities, nlp_artifacts=None):
                scan = self.prescanned.get(text)
                if scan is None or scan[0] != min_digits:
                    scan = (min_digits, phones.phone_runs(text, min_digits))
                scan = scan[1]
                regions = tuple(self.supported_regions)
                # each run is matched only in the regions phonenumbers' metadata leaves it (phonemeta.py); a run it
                # leaves none holds no valid number, like a skipped one
                kept, ruled_out = [], []
                for start, end in scan.runs:
                    possible = phonemeta.possible_regions(text[start:end], regions)
                    (kept.append((start, end, possible)) if possible else ruled_out.append((start, end)))
                results = _in_windows(self, text, kept, nlp_artifacts)[0]
                events = len(results) + len(_SECOND_NUMBER_START_PATTERN.findall(text))
                if 13 * (scan.total + events * scan.longest) >= phones._MAX_TRIES:
                    # the matcher might give up on the whole text: count its tries in every region (see 4.)
                    results, tries = _in_windows(self, text, [(s, e, regions) for s, e, _ in kept], nlp_artifacts)
                    skipped = sorted(scan.skipped + ruled_out)
                    if max(tries, default=0) + phones._skipped_bound(text, skipped) >= phones._MAX_TRIES:
                        rest = phones._skipped_tries(text, skipped)
                        if rest is None or max(tries, default=0) + rest >= phones._MAX_TRIES:
                            return super().analyze(text, entities, nlp_artifacts)  # the matcher may give up: let it
                return EntityRecognizer.remove_duplicates(results)

        windowed_phones = _WindowedPhoneRecognizer(supported_regions=phone_regions, name="PhoneRecognizer")
        # the phone runs of a batch's texts, scanned at once by whoever analyses the batch (prep.measures.pii.pool)
        windowed_phones.prescanned = {}
        registry.add_recognizer(windowed_phones)
    from prep.measures.pii.recognizers import extra_recognizers

    registry.recognizers.extend(extra_recognizers())  # where presidio falls short (recognizers.py)
    analyzer_engine = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=[LANGUAGE])
    analyzer_engine.windowed_phones = windowed_phones if min_digits is not None else None
    return analyzer_engine



def _in_windows(recognizer, text, runs, nlp_artifacts):
    """Results of the windowed phone ``recognizer`` in the window of each (start, end, regions) run, matched in
    those regions, and the matcher's tries per region of ``supported_regions`` (a region a run was not matched in
    counts none for it)."""
    results, tries = [], dict.fromkeys(recognizer.supported_regions, 0)
    for start, end, regions in runs:
        start -= start > 0  # the character before the run, and three after it (see phones.py, 3.)
        found, window_tries = phones._window_matches(text[start : end + 3], regions, recognizer.leniency)
        for region, count in zip(regions, window_tries):
            tries[region] += count
        for first, last, region in found:
            result = recognizer._get_recognizer_result(phones._Span(first, last), text, region, nlp_artifacts)
            result.start += start
            result.end += start
            results.append(result)
    return results, list(tries.values())


def _blank_artifacts(engine) -> Any:
    """NLP artifacts without tokens, in place of the blank pipeline's. The blank pipeline has no lemmas and no
    entities, so its artifacts feed nothing: no enabled recognizer reads them (only the NER recognizer does), and
    presidio's context enhancer finds no context word among empty lemmas, as it finds none without tokens. Skipping
    the tokenizer gives the same results (tests and the benchmark compare), faster."""
    from presidio_analyzer.nlp_engine import NlpArtifacts

    return NlpArtifacts(
        entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=engine.nlp_engine, language=LANGUAGE
    )




def found_nothing(engine, text: str, entities: list[str], nlp_artifacts) -> bool:
    """Whether every recognizer presidio's ``analyze`` would run for ``entities`` finds nothing in ``text``: then
    ``analyze`` returns nothing (context enhancement, de-duplication and the score threshold only change or drop
    results), so most candidate texts, which hold nothing, skip its per-text work. Same calls as ``analyze``."""
    key = tuple(entities)
    cache = engine.__dict__.setdefault("_prep_recognizers", {})
    recognizers = cache.get(key)
    if recognizers is None:
        recognizers = cache[key] = engine.registry.get_recognizers(language=LANGUAGE, entities=entities)
    for recognizer in recognizers:
        if not recognizer.is_loaded:
            recognizer.load()
            recognizer.is_loaded = True
        if recognizer.analyze(text=text, entities=entities, nlp_artifacts=nlp_artifacts):
            return False
    return True
