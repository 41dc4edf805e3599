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
from prep.runtime import in_snowflake, worker_processes

# Below this many candidate texts one process is faster than forking a second one, once presidio is loaded; while it
# is not, one worker loads it and analyses the few candidates on the other core (see PendingDetections.start).
PARALLEL_MIN_TEXTS = 300


# In this process, detection goes through the candidates this many at a time: only a batch of texts (and its phone
# scans) exists as Python objects at once, so memory stays flat however large the column.
BATCH_TEXTS = 2_000


# A worker forked before the data is read (warm_up), loading presidio on the other core while this process reads
# and checks; a run with few candidates hands them to it instead of forking a cold one, and gives it back after, so
# that, under keeping_warm, the next run (pre-commit passes several files to one process) finds presidio loaded.
# At most one, keyed by what it loaded.
_warm: dict[tuple, tuple[ProcessPoolExecutor, Any]] = {}  # key: (executor, its first job: done once loaded)


def _key(detector) -> tuple:
    return detector.spacy_model, tuple(detector.phone_regions)


def warm_up(detector) -> None:
    """Fork a worker that loads presidio's engine for ``detector`` now, unless one is loaded or loading already,
    or this process has it (or may not create processes, or has one core to work with)."""
    import multiprocessing

    key = _key(detector)
    if key in _warm or analyzer.cache_info().currsize or in_snowflake() or worker_processes() < 2:
        return
    discard_warm()
    try:
        context: Any = multiprocessing.get_context("fork")
        warm = ProcessPoolExecutor(1, mp_context=context, initializer=_worker_init,
                                   initargs=(os.getpid(), detector.spacy_model, tuple(detector.phone_regions)))
        ready = warm.submit(int)  # the executor forks on its first job, which runs once the initializer is done
    except (ValueError, OSError, BrokenProcessPool):  # no fork or no processes here: a cold start later, if any
        return
    _warm[key] = warm, ready


# Whether a loaded warm worker outlives the run: only while the command line runs (its several files), which stops
# it on its way out (:func:`keeping_warm`); a library caller's process keeps no idle worker and its threads.
_keep = False


def settle_warm() -> None:
    """At the end of a run: stop the warm worker, unless the command line keeps a loaded one for its next file;
    one still loading is always stopped (no run used it, and at exit this process would wait for it)."""
    if not _keep or any(not ready.done() for _, ready in _warm.values()):
        discard_warm()


class keeping_warm:
    """``with keeping_warm():`` around several runs in one process (the CLI's files): a loaded warm worker serves
    them all, and is stopped when the block ends, however it ends."""

    def __enter__(self) -> None:
        global _keep
        _keep = True

    def __exit__(self, *exc) -> None:
        global _keep
        _keep = False
        discard_warm()


def discard_warm() -> None:
    """Stop the warm worker, if any (mid-load or idle)."""
    while _warm:
        _stop(_warm.popitem()[1][0])


def _stop(executor: ProcessPoolExecutor) -> None:
    # Python 3.14 has ProcessPoolExecutor.terminate_workers(); before it, the processes one by one
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


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
        self._warm = False  # the pool is the warm worker, to be given back when done
        self._ready: Any = None

    def start(self, workers: int, preload: bool = True) -> None:
        """Hand the jobs to ``workers`` forked processes. ``preload`` builds presidio's engine here first, so that
        every worker inherits it; without it, one worker builds it itself (about a second: spaCy's and presidio's
        imports) while this process goes on with the other rules: what a small file in pre-commit waits for."""
        import multiprocessing

        detector = self.detector
        size = max(50, -(-len(self.jobs) // (8 * workers)))  # a few batches per worker, to even out long texts
        if workers == 1 and not preload and _key(detector) in _warm:
            (self._pool, self._ready), self._warm = _warm.pop(_key(detector)), True
        else:
            if preload:
                discard_warm()  # presidio is loaded here from now on: every later run forks from this process
                analyzer(detector.spacy_model, detector.phone_regions, True)  # before forking: workers inherit it
            try:
                context: Any = multiprocessing.get_context("fork")
            except ValueError:  # no fork on this platform: one process, on demand
                return
        try:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init,
                                                 initargs=(os.getpid(),))
            self._futures = [self._pool.submit(_analyze_jobs, detector, self.jobs.batch(a, b))
                             for a, b in self.jobs.bounds(size)]
        except (OSError, BrokenProcessPool):  # no processes here (a sandbox, a stored procedure): on demand
            self._warm = False  # nor a warm worker
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
                self._warm = False
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
            if abort:
                _stop(self._pool)
            elif self._warm and not _warm:  # idle again, presidio loaded: the next run's
                _warm[_key(self.detector)] = self._pool, self._ready
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool, self._warm = None, False
        self._futures = []


def _worker_init(parent: int, spacy_model: str | None = None, phone_regions: tuple[str, ...] = ()) -> None:
    """In a PII worker, first thing: die with the parent, however it dies (Linux's parent-death signal covers
    SIGKILL and the OOM killer; elsewhere the worker ends when its pipe to the parent closes), and leave Ctrl-C to
    the parent, which stops the workers itself and prints one line. A warm worker (``spacy_model`` given) then
    loads presidio's engine."""
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
    if spacy_model is not None:
        analyzer(spacy_model, phone_regions, True)


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
