"""MinHash signatures of many subsets of one table of rows, with the per-row work done once.

``prep prepare`` re-checks leaks after its split: the training rows against the validation rows, then, as rows
move, again and again. Each check must give exactly what a leak rule gives on those two subsets as files of their
own (so that ``prep lint`` on the written files agrees), but most of the work is per row and does not depend on
the subset: the compared text, its shingles and, under a given set of boilerplate
shingles, its MinHash signature. :class:`SubsetMeasures` computes those once per row (or takes them from the lint
run that measured the same rows) and assembles each subset's :class:`~prep.measures.minhash.Signatures` from them.

What does depend on the subset is the boilerplate: the shingles frequent in an evenly spaced sample of the
subset's rows. When it changes, only the rows holding a shingle that entered or left it are signed again. Those
rows are found by the shingle's words (a literal search over the texts, then the exact shingle check on the
rows found), so no per-row shingle list is kept; a shingle whose words cannot be found (never seen) makes every
row be signed again, which is slower and as exact.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from prep.measures.minhash import (
    FIELD_SALT,
    FIELD_SEPARATOR,
    NearDupConfig,
    Signatures,
    all_band_keys,
    boilerplate_sample_rows,
    compared_text,
    is_boilerplate,
    sample_boilerplate,
    shingles,
    sign,
    word_hashes,
)
from prep.measures.minhash import signatures as minhash_signatures
from prep.tokenizers import thread_count

_COMBINE = np.uint64(0x9E3779B97F4A7C15)  # as minhash.shingles combines word hashes
_REFRESH_TEXTS = 32_768  # texts whose measures are recomputed at a time


def shingle_words(texts: pl.Series, ngram: int, wanted: np.ndarray) -> dict[int, str]:
    """The words of each shingle hash in ``wanted`` that occurs in ``texts`` (normalised), as they appear there:
    found with the vectorised :func:`~prep.measures.minhash.shingles`, then spelt out from one text each (a loop
    over the wanted hashes only, a handful)."""
    owner, h = shingles(texts, ngram)
    wanted = np.unique(wanted)
    hit = np.flatnonzero(is_boilerplate(h, wanted))  # the bit-table lookup: no sort of every shingle
    where = pl.DataFrame({"h": h[hit], "owner": owner[hit]}).group_by("h").agg(pl.col("owner").min())
    found: dict[int, str] = {}
    for value, text_index in where.iter_rows():
        words = texts[int(text_index)].split(" ")
        hashes = word_hashes(pl.Series(words, dtype=pl.String))
        if len(words) < ngram:
            found[value] = " ".join(words)
            continue
        combined = hashes[: len(words) - ngram + 1].copy()
        for k in range(1, ngram):
            combined = combined * _COMBINE + hashes[k : len(words) - ngram + 1 + k]
        if FIELD_SEPARATOR in words:  # the completion's shingles carry its salt, as minhash.shingles gives them
            combined[words.index(FIELD_SEPARATOR) + 1 :] ^= np.uint64(FIELD_SALT)
        start = np.flatnonzero(combined == np.uint64(value))
        if len(start):
            found[value] = " ".join(words[int(start[0]) : int(start[0]) + ngram])
    return found


class SubsetMeasures:
    """Signatures of subsets of ``frame``'s rows (``prompt``, ``completion``, both text), each equal to what
    :func:`~prep.measures.minhash.signatures_of` gives for the subset alone (its rows numbered from 0; signature
    rows of representatives, the others hold their representative's).

    ``seed`` (entries and, per row of ``frame``, the entry with the same text or -1) reuses signatures computed
    on the same texts, under the seed's boilerplate."""

    def __init__(self, frame: pl.DataFrame, config: NearDupConfig,
                 seed: tuple[Signatures, np.ndarray] | None = None) -> None:
        self.config = config.config()
        n = frame.height
        entry = np.full(n, -1, np.int64) if seed is None else seed[1]
        mapped = entry >= 0
        text = compared_text(frame.select("prompt", "completion"), self.config) if seed is None or not mapped.any() \
            else seed[0].text.gather(np.where(mapped, entry, 0))
        if seed is not None and not mapped.all():
            fresh = np.flatnonzero(~mapped)
            text = text.scatter(fresh, compared_text(frame[fresh].select("prompt", "completion"), self.config))
        self.text = text
        first = (pl.DataFrame({"text": text}).with_row_index("i").select(pl.col("i").min().over("text"))
                 .to_series().to_numpy().astype(np.int64))
        self.first, self.text_of = np.unique(first, return_inverse=True)  # one id per distinct text
        self.words = (text.gather(self.first).str.len_bytes() > 0).to_numpy()  # whether each distinct text has words
        distinct = len(self.first)
        self.signature = np.empty((distinct, self.config.num_perm), dtype=np.uint32) if seed is None else None
        self.has = np.zeros(distinct, dtype=bool)
        self.signed = 0  # distinct texts signed here (not taken from the seed), for the benchmark and the tests
        self._words: dict[int, str] = {}  # the words of watched shingles, once known
        self._samples: list[pl.Series] = []  # samples the watched shingles were counted on, to find their words
        self._origin: dict[int, int] = {}  # watched shingle -> the sample (index) it was first counted on
        self._holders: dict[int, np.ndarray] = {}  # distinct texts holding a watched shingle, once needed
        self.watched: np.ndarray | None = None  # the shingles left out of self.signature (sorted)
        self.boilerplate: np.ndarray | None = None  # the current boilerplate, a subset of watched
        # the measures under the current boilerplate (self.signature lowered by the watched shingles that are not
        # boilerplate now), kept up to date text by text: see _refresh
        self._current: tuple[np.ndarray, np.ndarray] | None = None  # has, band keys (bands, texts)
        self._lowered = np.zeros(0, np.uint64)  # the shingles lowering self._current
        self._lowering: list[tuple[int, np.ndarray, np.ndarray]] = []  # each: shingle, holders mask, its signature
        self._stale = np.zeros(distinct, dtype=bool)  # texts signed again since the last refresh
        self.version = np.zeros(distinct, dtype=np.int64)  # the refresh that last changed each text's measures
        self.refreshes = 0
        if seed is not None:
            signatures, _ = seed
            from_seed = mapped[self.first]
            if from_seed.any():
                at = signatures.representative[np.where(from_seed, entry[self.first], entry[self.first].max())]
                self.signature = signatures.signature[at]  # one gather; the texts not from the seed are signed below
                self.has = signatures.has_shingles[at] & from_seed
            else:
                self.signature = np.empty((distinct, self.config.num_perm), dtype=np.uint32)
            self.watched = self.boilerplate = signatures.boilerplate
            reps = np.flatnonzero(signatures.representative == np.arange(len(signatures.representative)))
            at = boilerplate_sample_rows(len(reps), self.config)  # the seed's sample, gathered alone
            self._watch(signatures.boilerplate, None if at is None else signatures.text.gather(reps[at]))
            self._sign(np.flatnonzero(~from_seed))

    def _sign(self, ids: np.ndarray) -> None:
        for lo, signature, has in sign(self.text, self.first[ids], self.config, self.watched):
            batch = ids[lo : lo + len(has)]
            self.signature[batch], self.has[batch] = signature, has
        self.signed += len(ids)
        self._stale[ids] = True

    def own_boilerplate(self, rows: np.ndarray) -> tuple[np.ndarray, pl.Series | None]:
        """The boilerplate of the subset ``rows`` as a source of its own (and the sample it was estimated on)."""
        ids = self.text_of[rows]
        _, at = np.unique(ids, return_index=True)
        distinct = rows[np.sort(at)]
        taken = boilerplate_sample_rows(len(distinct), self.config)
        sample = None if taken is None else self.text.gather(distinct[taken])
        return sample_boilerplate(sample, self.config), sample

    def rebase(self, boilerplate: np.ndarray, sample: pl.Series | None) -> int:
        """Make ``boilerplate`` the current one. Returns how many distinct texts were signed again.

        The stored signatures leave out every *watched* shingle (every boilerplate shingle seen so far): a subset's
        signature is the stored one lowered by the watched shingles that are not boilerplate now, for the texts that
        hold them (the minimum over a union). So a shingle that leaves the boilerplate costs one ``minimum`` over
        its holders, and only a shingle never watched before makes its holders be signed again."""
        if self.watched is None:
            self._watch(boilerplate, sample)
            self.watched = self.boilerplate = boilerplate
            self._sign(np.arange(len(self.first)))
            return len(self.first)
        new = np.setdiff1d(boilerplate, self.watched)
        self._watch(new, sample)
        self.boilerplate = boilerplate
        if not len(new):
            return 0
        self._find_holders(new.tolist())
        ids = np.unique(np.concatenate([self._holders[h] for h in new.tolist()]))
        self.watched = np.union1d(self.watched, new)
        self._sign(ids)
        return len(ids)

    def _watch(self, values: np.ndarray, sample: pl.Series | None) -> None:
        if len(values) and sample is not None:
            self._samples.append(sample)
            self._origin.update((h, len(self._samples) - 1) for h in values.tolist())

    def _holders_of(self, value: int) -> np.ndarray:
        """The distinct texts holding watched shingle ``value`` (see :meth:`_find_holders`)."""
        self._find_holders([value])
        return self._holders[value]

    def _find_holders(self, values) -> None:
        """Find the distinct texts holding each watched shingle of ``values`` not looked for yet.

        A shingle is spelt out as its words (from a sample it was counted on), and the texts holding it are those
        whose words contain it: its words with a space or the text's end on each side (the texts are normalised,
        words separated by single spaces), or, for the one shingle of a text shorter than ``ngram`` words, the
        whole text. That is the texts whose shingle hash equals it, unless two different word n-grams share a
        64-bit hash. A shingle whose words cannot be found (which cannot happen) is looked for by hash in every
        text."""
        todo = [value for value in dict.fromkeys(values) if value not in self._holders]
        for origin in {self._origin.get(value) for value in todo if value not in self._words} - {None}:
            wanted = [h for h, o in self._origin.items() if o == origin and h not in self._words]
            self._words.update(shingle_words(self._samples[origin], self.config.ngram,  # spelt out where counted
                                             np.array(wanted, dtype=np.uint64)))
        unspelt = [value for value in todo if value not in self._words]
        for value in todo:
            if value in self._words:
                self._holders[value] = np.unique(self.text_of[self._rows_holding(self._words[value])])
        if unspelt:
            owner, h = shingles(self.text.gather(self.first), self.config.ngram)
            hit = is_boilerplate(h, np.unique(np.array(unspelt, dtype=np.uint64)))
            held = dict(pl.DataFrame({"h": h[hit], "owner": owner[hit]}).group_by("h").agg(pl.col("owner").unique())
                        .iter_rows())
            for value in unspelt:
                self._holders[value] = np.unique(np.array(held.get(value, []), dtype=np.int64))

    def _rows_holding(self, words: str) -> np.ndarray:
        """The rows whose text holds the shingle of ``words`` (see :meth:`_find_holders`): a literal search over
        every text, then the word boundaries on the texts found."""
        if words.count(" ") + 1 < self.config.ngram:
            return np.flatnonzero((self.text == words).to_numpy())
        rows = np.flatnonzero(self.text.str.contains(words, literal=True).to_numpy())
        found = self.text.gather(rows)
        bounded = pl.select((pl.lit(" ") + pl.lit(found) + pl.lit(" ")).str.contains(f" {words} ", literal=True))
        return rows[bounded.to_series().to_numpy()]

    def current(self) -> tuple[_Lowered, np.ndarray, np.ndarray]:
        """(signatures, has shingles, band keys as (bands, texts)) of every distinct text under the current
        boilerplate; the signatures are rows gathered on demand (``signatures[ids]``: no copy of every signature is
        kept). Texts whose measures changed since refresh ``k`` are those with ``version > k``."""
        if self.boilerplate is None:
            raise ValueError("no boilerplate yet: rebase first")
        self._refresh()
        return _Lowered(self, self.refreshes), *self._current

    def lowered(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, has shingles) of the distinct texts ``ids`` under the current boilerplate: the stored ones
        lowered by each watched shingle that is not boilerplate now, on the texts holding it (the minimum over a
        union)."""
        part, part_has = self.signature[ids], self.has[ids]
        for value, holds, one in self._lowering:
            at = np.flatnonzero(holds[ids])
            part[at] = np.minimum(part[at], one)
            part_has[at] = True
        return part, part_has

    def _refresh(self) -> None:
        """Bring :meth:`current` up to date: recompute the texts signed again and the holders of every shingle
        that started or stopped lowering them; the others keep their flags and keys."""
        lowered = np.setdiff1d(self.watched, self.boilerplate)
        first = self._current is None
        if first:
            self._current = (self.has.copy(), np.empty((self.config.bands, len(self.first)), np.uint64))
            ids = np.arange(len(self.first))
        else:
            moved = np.setxor1d(lowered, self._lowered).tolist()
            self._find_holders(moved)
            ids = np.unique(np.concatenate([np.flatnonzero(self._stale), *(self._holders_of(h) for h in moved)]))
        if first or not np.array_equal(lowered, self._lowered):
            self._lowering = []
            self._find_holders(lowered.tolist())
            for value in lowered.tolist():
                holds = np.zeros(len(self.first), dtype=bool)
                holds[self._holders_of(value)] = True
                one = minhash_signatures(np.zeros(1, np.int64), np.array([value], dtype=np.uint64), 1, self.config)
                self._lowering.append((value, holds, one[0]))
        self._lowered = lowered
        if not len(ids):
            return
        has, keys = self._current

        def refresh(lo: int) -> None:  # a block at a time: no copy of every signature
            block = ids[lo : lo + _REFRESH_TEXTS]
            part, has[block] = self.lowered(block)
            keys[:, block] = all_band_keys(part, self.config).T

        with ThreadPoolExecutor(thread_count()) as pool:  # disjoint blocks; numpy releases the GIL
            list(pool.map(refresh, range(0, len(ids), _REFRESH_TEXTS)))
        self.refreshes += 1
        self.version[ids] = self.refreshes
        self._stale[:] = False

    def signatures(self, rows: np.ndarray) -> Signatures:
        """The signatures of the subset ``rows`` (indices into ``frame``, in the subset's order) under the current
        boilerplate (the subset's own if there is none yet). The per-entry signatures, flags and band keys are
        gathered when first read: a check whose LSH candidates are given reads only the text."""
        if self.boilerplate is None:
            self.rebase(*self.own_boilerplate(rows))
        self.current()
        ids = self.text_of[rows]
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        return _Gathered(self, ids, rows=np.arange(len(rows), dtype=np.int64), text=self.text.gather(rows),
                         representative=first[inverse].astype(np.int64), boilerplate=self.boilerplate)


class _Lowered:
    """The current signatures of :class:`SubsetMeasures`' distinct texts, rows computed when indexed
    (``signatures[ids]``), and only while they are current (a later refresh would change them)."""

    def __init__(self, measures: SubsetMeasures, stamp: int) -> None:
        self._measures, self._stamp = measures, stamp

    def __len__(self) -> int:
        return len(self._measures.first)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        if self._measures.refreshes != self._stamp:
            raise RuntimeError("subset signatures read after their measures changed")  # pragma: no cover
        return self._measures.lowered(np.asarray(ids))[0]


class _Gathered(Signatures):
    """:class:`Signatures` of a subset whose per-entry arrays are gathered from :meth:`SubsetMeasures.current`
    on first read, and only while it is current (a later refresh would change what it gathers)."""

    def __init__(self, measures: SubsetMeasures, ids: np.ndarray, *, rows: np.ndarray, text: pl.Series,
                 representative: np.ndarray, boilerplate: np.ndarray) -> None:
        self.rows, self.text, self.representative, self.boilerplate = rows, text, representative, boilerplate
        self._measures, self._ids, self._stamp = measures, ids, measures.refreshes
        self._gathered: dict[str, np.ndarray] = {}

    def _gather(self, which: str) -> np.ndarray:
        if which not in self._gathered:
            if self._measures.refreshes != self._stamp or self._measures._current is None:
                raise RuntimeError("subset signatures read after their measures changed")  # pragma: no cover
            has, keys = self._measures._current
            self._gathered.update(signature=self._measures.lowered(self._ids)[0], has=has[self._ids],
                                  keys=keys[:, self._ids].T)
        return self._gathered[which]

    signature = property(lambda self: self._gather("signature"))
    has_shingles = property(lambda self: self._gather("has"))
    band_keys = property(lambda self: self._gather("keys"))
