"""The detector: what to look for and how; the prefilter's candidates, presidio on them, detections per text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from prep.limits import SCAN_CHARS
from prep.measures.pii.analyzer import (
    LANGUAGE,
    _blank_artifacts,
    analyzer,
    found_nothing,
)
from prep.measures.pii.masking import DEFAULT_ENTITIES, Detection, is_placeholder, mask
from prep.measures.pii.plausible import not_personal
from prep.measures.pii.pool import (
    PARALLEL_MIN_TEXTS,
    Jobs,
    PendingDetections,
    settle_warm,
    warm_up,
)
from prep.measures.pii.prefilter import (
    _PHONE_WITHOUT_DE,
    _SSN_ABOVE_04,
    PHONE_REGIONS,
    PHONE_REGIONS_WITH_DE,
    PREFILTERS,
)
from prep.runtime import in_snowflake, worker_processes


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
        score, placeholders and spans that are not personal data dropped (``plausible.py``), values masked. ``windowed`` uses the windowed phone recognizer (same results)."""
        if not text:
            return []
        entities = list(self.entities if entities is None else entities)
        if not entities:
            return []
        engine = analyzer(self.spacy_model, self.phone_regions, windowed)
        artifacts = _blank_artifacts(engine) if windowed and not self.spacy_model else None
        if artifacts is not None and found_nothing(engine, text, entities, artifacts):
            return []
        results = engine.analyze(
            text=text,
            language=LANGUAGE,
            entities=entities,
            score_threshold=min(map(self.min_score, entities)),
            nlp_artifacts=artifacts,
        )
        out = []
        for r in sorted(results, key=lambda r: (r.start, r.end, r.entity_type)):
            if r.score < self.min_score(r.entity_type) or is_placeholder(text, r.start, r.end):
                continue
            if not_personal(r.entity_type, text, r.start, r.end):  # reserved domains and ranges, other numbers
                continue
            value = text[r.start : r.end]
            out.append(Detection(r.entity_type, r.start, r.end, round(float(r.score), 4), mask(r.entity_type, value)))
        return out

    def warm_up(self) -> None:
        """Start loading presidio for this detector in a worker process now (about a second), for a later
        :meth:`detect_many` with few candidates to use (``pool.warm_up``)."""
        warm_up(self)

    @staticmethod
    def settle() -> None:
        """The end of a run: stop a worker :meth:`warm_up` started that is still loading; a loaded one stays."""
        settle_warm()

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
        parts, values, entities = [], [], []
        names = np.array(self.entities, dtype=object)
        interned: dict[bytes, tuple[str, ...]] = {}  # one tuple per combination of types, not one per text
        for texts in columns:
            texts = texts.str.slice(0, SCAN_CHARS)  # the first SCAN_CHARS characters of a text (prep.limits)
            matrix = self.candidates(texts)
            index = matrix.any(axis=1).nonzero()[0]
            parts.append(index)
            values.append(texts.gather(index) if len(index) else texts.clear())
            for row in matrix[index]:
                key = row.tobytes()
                if key not in interned:
                    interned[key] = tuple(names[row])
                entities.append(interned[key])
        # the candidate texts stay in polars; they become Python strings a batch at a time
        jobs = Jobs(pl.concat(values, rechunk=False) if values else pl.Series([], dtype=pl.String), entities)
        # one process inside Snowflake (no process creation there), whatever the caller asks
        workers = 1 if in_snowflake() else (processes or worker_processes())
        pending = PendingDetections(self, parts, jobs)
        if workers > 1 and len(jobs) >= PARALLEL_MIN_TEXTS:
            pending.start(workers)
        elif workers > 1 and len(jobs) and not analyzer.cache_info().currsize:
            pending.start(1, preload=False)  # presidio not loaded yet: a worker loads it while the other rules run
        return pending


