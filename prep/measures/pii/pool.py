"""Detection in worker processes while the other rules run, or on demand in this process; workers die with their
parent."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import polars as pl

from prep.measures.pii import phones
from prep.measures.pii.analyzer import analyzer
from prep.measures.pii.masking import Detection

# Below this many candidate texts one process is faster than forking a second one, once presidio is loaded; while it
# is not, one worker loads it and analyses the few candidates on the other core (see PendingDetections.start).
PARALLEL_MIN_TEXTS = 300


# In this process, detection goes through the candidates this many at a time: only a batch of texts (and its phone
# scans) exists as Python objects at once, so memory stays flat however large the column.
BATCH_TEXTS = 2_000


class Jobs:
    """The candidate texts (a polars column, all columns' candidates in turn) and the entity types each may hold."""

    def __init__(self, texts: pl.Series, entities: list[tuple[str, ...]]) -> None:
        self.texts, self.entities = texts, entities

    def __len__(self) -> int:
        return len(self.entities)

    def batch(self, start: int, stop: int) -> list[tuple[str, tuple[str, ...]]]:
        """Jobs ``start`` to ``stop`` as (text, entity types) pairs."""
        return list(zip(self.texts.slice(start, stop - start).to_list(), self.entities[start:stop]))

    def bounds(self, size: int) -> list[tuple[int, int]]:
        return [(i, min(i + size, len(self))) for i in range(0, len(self), size)]


class PendingDetections:
    """Detections of :meth:`Detector.detect_many`, computed in worker processes or on demand."""

    def __init__(self, detector, parts: list[np.ndarray], jobs: Jobs) -> None:
        self.detector, self.parts, self.jobs = detector, parts, jobs  # parts: each column's candidate indices
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Any] = []

    def start(self, workers: int, preload: bool = True) -> None:
        """Hand the jobs to ``workers`` forked processes. ``preload`` builds presidio's engine here first, so that
        every worker inherits it; without it, one worker builds it itself (about a second: spaCy's and presidio's
        imports) while this process goes on with the other rules: what a small file in pre-commit waits for."""
        import multiprocessing

        detector = self.detector
        if preload:
            analyzer(detector.spacy_model, detector.phone_regions, True)  # before forking: the workers inherit it
        size = max(50, -(-len(self.jobs) // (8 * workers)))  # a few batches per worker, to even out long texts
        try:
            context: Any = multiprocessing.get_context("fork")
        except ValueError:  # no fork on this platform: one process, on demand
            return
        try:
            self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                             initargs=(os.getpid(),))
            self._futures = [self._pool.submit(_analyze_jobs, detector, self.jobs.batch(a, b))
                             for a, b in self.jobs.bounds(size)]
        except (OSError, BrokenProcessPool):  # no processes here (a sandbox, a stored procedure): on demand
            self.close()

    def _found(self) -> dict[int, list[Detection]]:
        """Detections by job number, for the jobs that have any."""
        found: dict[int, list[Detection]] = {}
        if self._futures:
            try:
                done = 0
                for future in self._futures:
                    for detections in future.result():
                        if detections:
                            found[done] = detections
                        done += 1
                if done == len(self.jobs):
                    return found
            except (OSError, BrokenProcessPool):  # the workers died: do it here
                pass
            finally:
                self.close()
            found = {}
        for start, stop in self.jobs.bounds(BATCH_TEXTS):
            for k, detections in enumerate(_analyze_jobs(self.detector, self.jobs.batch(start, stop)), start):
                if detections:
                    found[k] = detections
        return found

    def result(self) -> list[dict[int, list[Detection]]]:
        """Detections per text index of each column, for the texts that have any."""
        found = self._found()
        out, cursor = [], 0
        for index in self.parts:
            out.append({int(i): found[k] for k, i in enumerate(index, cursor) if k in found})
            cursor += len(index)
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


def _analyze_jobs(detector, jobs: list[tuple[str, tuple[str, ...]]]) -> list[list[Detection]]:
    """Detections of each (text, entity types) job; the phone runs of all its texts are scanned at once and handed
    to the windowed phone recognizer for the duration of the batch."""
    min_digits = phones._phone_min_digits(detector.phone_regions)
    texts = [text for text, entities in jobs if text and "PHONE_NUMBER" in entities]
    recognizer = getattr(analyzer(detector.spacy_model, detector.phone_regions, True), "windowed_phones", None)
    if recognizer is not None and min_digits is not None and texts and phones._char_tables() is not None:
        recognizer.prescanned.update(
            (text, (min_digits, scan)) for text, scan in zip(texts, phones.scan_many(texts, min_digits))
        )
    try:
        return [detector.analyze(text, entities, windowed=True) for text, entities in jobs]
    finally:
        if recognizer is not None:
            recognizer.prescanned.clear()
