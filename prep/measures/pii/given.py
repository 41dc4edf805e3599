"""Detections computed outside the run (by ``PREP_PII`` in the warehouse, procs/pushdown.py), given to its context
so that the PII rule reports them instead of detecting again.

They are keyed by the detector that made them: a rule whose detector differs (other entity types, scores or
regions) finds none given and detects itself, so a pushed-down result is never used for another configuration.
"""

from __future__ import annotations

import numpy as np

from prep.dataset import Source
from prep.engine.context import Context, source_key
from prep.measures.pii.masking import Detection


def _key(source: Source, field_name: str, detector) -> tuple:
    return source_key("pii-detections", source, field_name, detector)


def provide_detections(ctx: Context, source: Source, field_name: str, detector,
                       by_row: dict[int, list[Detection]]) -> None:
    """Give ``ctx`` the detections of ``detector`` in ``field_name`` of ``source``: for each row (its ``row``) that
    has any, in text order, as :meth:`Detector.detect` gives them for the row's text."""
    ctx.provide(_key(source, field_name, detector), by_row)


def given_detections(ctx: Context, source: Source, field_name: str, detector) -> dict[int, list[Detection]] | None:
    """The detections given for ``field_name`` of ``source`` by ``detector``, by text index (the position in
    ``source.text_rows(field_name)``, as :meth:`Detector.detect` numbers them); None when none were given."""
    by_row = ctx.memoized(_key(source, field_name, detector))
    if by_row is None:
        return None
    rows = source.text_rows(field_name)["row"].to_numpy()
    wanted = np.fromiter(by_row, dtype=np.int64, count=len(by_row))
    at = np.searchsorted(rows, wanted)
    inside = at < len(rows)
    if not inside.all() or not (rows[at] == wanted).all():
        missing = wanted[~inside] if not inside.all() else wanted[rows[at] != wanted]
        raise ValueError(f"detections given for rows without a {field_name} text: {missing[:5].tolist()}")
    return {int(i): by_row[int(row)] for i, row in zip(at, wanted)}


class KnownDetections:
    """Given detections, in the shape :class:`~prep.measures.pii.pool.PendingDetections` gives its results."""

    def __init__(self, results: list[dict[int, list[Detection]]]) -> None:
        self._results = results

    def result(self) -> list[dict[int, list[Detection]]]:
        return self._results

    def close(self, abort: bool = False) -> None:
        pass
