"""Near-duplicate detection: MinHash signatures computed over whole columns, LSH banding, exact verification.

The pipeline, for one source (or two, training and validation, for leakage):

1. **Normalise** the compared text with polars (``compare``: prompt + completion, prompt, or completion;
   ``auto``, the default, is resolved per source by :func:`prep.measures.neardup.resolved`: the prompt on
   label-like data, else both; unresolved it compares both): Unicode NFKC, lower case, punctuation and symbols to spaces, whitespace collapsed (each step configurable).
2. **Shingle** into word n-grams (``ngram``, default 2). A text with fewer words than ``ngram`` has one shingle:
   all its words. Words are hashed with polars' vectorised hash under a fixed seed (identical in every process
   for a given polars version, which :meth:`NearDupConfig.config_id` includes), and n-gram hashes are combined
   from word hashes with numpy over the whole batch. Rows with identical normalised text are collapsed to one
   representative first.
3. **Boilerplate**: shingles present in more than ``boilerplate_share`` of the rows (estimated on an evenly
   spaced sample) are dropped, so that a shared instruction or tool preamble does not make every row a near
   duplicate of every other. Skipped for sources under ``BOILERPLATE_MIN_ROWS`` rows.
4. **Signatures**: ``num_perm`` MinHash values per row in datasketch's ``affine32`` scheme: the permutation
   parameters are those of ``datasketch.MinHash(num_perm, seed)``, each shingle's 32-bit hash is pre-mixed with
   the MurmurHash3 finaliser, and ``a * h + b`` (mod 2^32) is minimised per row. That is exactly what
   ``datasketch.MinHash.update`` computes shingle by shingle (tests check it bit for bit), done here as a few
   numpy operations per block of shingles, on two threads. Signatures are one compact uint32 array.
5. **LSH banding** (:func:`lsh_params`): rows sharing a band of their signature are candidates, found by sorting
   64-bit band keys. Buckets up to ``BUCKET_ALL_PAIRS`` rows give all their pairs; larger ones a linear number
   (each row with its predecessor and with the bucket's first row). A candidate is kept only if the two
   signatures agree on at least ``threshold - 3 sigma`` of their values, a vectorised estimate of the Jaccard
   similarity that removes most candidates below the threshold before the exact check.
6. **Verification** (:mod:`prep.measures.verify`): every remaining pair's true Jaccard similarity of its shingle sets (64-bit shingle hashes)
   is computed, with and without the boilerplate shingles; a pair is kept only if both reach the threshold, and
   the similarity reported is that of the full sets, which anyone can re-check from the text. Nothing below the
   threshold is ever reported, and boilerplate can only remove pairs, never add one. Candidates are checked in
   rounds, most similar signatures first, and a pair whose two rows an earlier round already connected is not
   checked (:func:`prep.measures.neardup._joining_pairs`): its edge could not change a cluster.
"""

from __future__ import annotations

import hashlib
import math
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields

import numpy as np
import polars as pl

from prep.limits import SCAN_CHARS, by_slices
from prep.measures.shingling import (  # noqa: F401 (re-exported)
    _COMBINE,
    FIELD_SALT,
    FIELD_SEPARATOR,
    shingles,
    word_hashes,
)
from prep.tokenizers import thread_count

COMPARE = ("prompt+completion", "prompt", "completion", "auto")  # auto: prompt on label-like data, else both
# Sources smaller than this skip the boilerplate filter: shares estimated on a few rows mean nothing.
BOILERPLATE_MIN_ROWS = 100
BOILERPLATE_SAMPLE_ROWS = 20_000
# Buckets up to this size contribute all their pairs; larger ones a linear number (first row and predecessor).
BUCKET_ALL_PAIRS = 64
BUCKET_WINDOW = 1  # ... each member of a larger one pairs with this many before it, and with the first
# Rows per batch for shingling and signatures, and shingles per numpy block (bounds the K x block matrix).
BATCH_ROWS = 16_384
BLOCK_SHINGLES = 4096
# Below this many entries numpy's sorts beat polars' (whose per-call cost is then most of the time).
SMALL_SORT = 100_000

_U32 = np.uint32
_U64 = np.uint64
_MASK32 = (1 << 32) - 1
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class NearDupConfig:
    """Every knob of the near-duplicate pipeline (DU002's and LK001's options are this, plus their own);
    :meth:`config_id` names a configuration in reports."""

    threshold: float = 0.6
    ngram: int = 2
    num_perm: int = 128
    seed: int = 1
    compare: str = "auto"  # resolved per source by prep.measures.neardup.resolved (label-like data: "prompt")
    nfkc: bool = True
    lowercase: bool = True
    strip_punctuation: bool = True
    boilerplate_share: float = 0.1

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold}")
        if self.compare not in COMPARE:
            raise ValueError(f"compare must be one of {', '.join(COMPARE)}, got {self.compare!r}")
        if not 1 <= self.ngram <= 10:
            raise ValueError(f"ngram must be from 1 to 10, got {self.ngram}")
        if not 16 <= self.num_perm <= 1024:
            raise ValueError(f"num-perm must be from 16 to 1024, got {self.num_perm}")
        if not 0 <= self.boilerplate_share <= 1:
            raise ValueError(f"boilerplate-share must be in [0, 1], got {self.boilerplate_share}")

    def config(self) -> NearDupConfig:
        """Only the pipeline's own knobs (a rule's options subclass this): the key under which a run keeps the
        signatures, shared by every rule with the same knobs."""
        return NearDupConfig(**{f.name: getattr(self, f.name) for f in fields(NearDupConfig)})

    def config_id(self) -> str:
        """A short name of this configuration and of the polars version whose word hash it uses: detections
        are reproducible under the same name."""
        text = ";".join(f"{k}={v}" for k, v in sorted(asdict(self.config()).items())) + f";polars={pl.__version__}"
        return "minhash-" + hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    @property
    def band_rows(self) -> int:
        return lsh_params(self.threshold, self.num_perm)[1]

    @property
    def bands(self) -> int:
        return lsh_params(self.threshold, self.num_perm)[0]


def lsh_params(threshold: float, num_perm: int, slack: float = 0.05, min_probability: float = 0.95) -> tuple[int, int]:
    """(bands, rows) for LSH banding: the largest ``rows`` such that a pair with Jaccard ``threshold + slack``
    shares at least one band with probability >= ``min_probability`` (P = 1 - (1 - J^r)^b, b = num_perm // r).

    Larger ``rows`` make the S-curve steeper: far fewer candidates below the threshold (each costs a check), at
    the price of missing some pairs just above it. With the defaults (0.6, 128 permutations): 25 bands of 5 rows,
    P(0.6) = 0.87, P(0.65) = 0.95, P(0.7) = 0.99, P(0.8) = 1.00, while P(0.3) = 0.06 and P(0.1) = 0.0003.
    """
    target = min(1.0, threshold + slack)
    best = (num_perm, 1)
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        if 1 - (1 - target**rows) ** bands >= min_probability:
            best = (bands, rows)
    return best


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    return 1 - (1 - similarity**rows) ** bands


# --- normalisation and shingles -------------------------------------------------------------------------------


def normalize_expr(expr: pl.Expr, config: NearDupConfig) -> pl.Expr:
    """The near-duplicate normalisation as a polars expression. NFKC runs only on values with a non-ASCII
    character (ASCII is its own NFKC), and the whitespace pattern matches only what is not already one space:
    both give the plain definition's result several times faster."""
    if config.nfkc:
        expr = pl.when(expr.str.len_bytes() != expr.str.len_chars()).then(expr.str.normalize("NFKC")).otherwise(expr)
    if config.lowercase:
        expr = expr.str.to_lowercase()
    if config.strip_punctuation:
        expr = expr.str.replace_all(r"[\p{P}\p{S}]+", " ")
    return expr.str.replace_all(r"\s\s+|[^\S ]", " ").str.strip_chars()


def compared_text(frame: pl.DataFrame, config: NearDupConfig) -> pl.Series:
    """The normalised text compared for each row of ``frame`` (columns ``prompt`` and ``completion``)."""
    # at most SCAN_CHARS characters of each field (prep.limits): a 50 MB log is compared by its start
    prompt = normalize_expr(pl.col("prompt").str.slice(0, SCAN_CHARS), config)
    completion = normalize_expr(pl.col("completion").str.slice(0, SCAN_CHARS), config)
    if config.compare == "prompt":
        expr = prompt
    elif config.compare == "completion":
        expr = completion
    else:
        joined = pl.concat_str([prompt, pl.lit(FIELD_SEPARATOR), completion], separator=" ").str.strip_chars(" ")
        # A row with no words on either side compares as empty, not as a lone separator shared with others.
        expr = pl.when((prompt == "") & (completion == "")).then(pl.lit("")).otherwise(joined)
    # The streaming engine spreads these string operations over both cores; a slice at a time bounds their temporaries.
    return by_slices(frame, lambda part: part.lazy().select(expr.alias("text")).collect(engine="streaming")["text"])


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, as datasketch's affine32 scheme applies it before permuting."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def to_hash32(h64: np.ndarray | int) -> np.ndarray | int:
    """Fold a 64-bit shingle hash to the 32-bit input of the affine32 MinHash scheme."""
    if isinstance(h64, int):
        return ((h64 >> 32) ^ h64) & _MASK32
    return ((h64 >> _U64(32)) ^ (h64 & _U64(_MASK32))).astype(_U32)


# --- signatures -----------------------------------------------------------------------------------------------


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine32 permutation parameters of ``datasketch.MinHash(num_perm, seed, scheme="affine32")``: an odd
    ``a`` and any ``b`` per permutation, drawn in that order from ``numpy.random.RandomState(seed)``, as datasketch
    2.0 draws them (tests/test_minhash.py compares with datasketch itself). Drawn here because importing datasketch
    costs a second (it imports scipy), which a short pre-commit run would pay every time."""
    generator = np.random.RandomState(seed)
    a = generator.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
    b = generator.randint(0, 1 << 32, num_perm, dtype=_U32)
    return a.astype(_U32), b.astype(_U32)


def signatures(owner: np.ndarray, h64: np.ndarray, n_rows: int, config: NearDupConfig) -> np.ndarray:
    """MinHash signatures, (n_rows, num_perm) uint32; rows without shingles keep the empty value 2^32 - 1.

    For a block of about ``BLOCK_SHINGLES`` shingles (whole rows), ``a * h + b`` is one (num_perm x block) uint32
    matrix (the wrap-around is the mod 2^32 of the affine32 scheme) and one ``minimum.reduceat`` per row span;
    the block is small enough to stay in cache, and blocks run on two threads (numpy releases the GIL).
    """
    a, b = permutations(config.num_perm, config.seed)
    out = np.full((n_rows, config.num_perm), _MASK32, dtype=_U32)
    if len(h64) == 0:
        return out
    mixed = fmix32(to_hash32(h64))
    row_starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    cuts = np.unique(np.r_[np.searchsorted(row_starts, np.arange(0, len(h64), BLOCK_SHINGLES)), len(row_starts)])
    bounds = np.r_[row_starts, len(h64)]
    a_column, b_column = a[:, None], b[:, None]
    found = np.empty((config.num_perm, len(row_starts)), dtype=_U32)  # one column per row with shingles
    buffers = threading.local()  # one work matrix per thread, reused: fresh 8 MB arrays cost page faults

    def block(i: int) -> None:
        first_row, end_row = cuts[i], cuts[i + 1]
        lo, hi = bounds[first_row], bounds[end_row]
        work = getattr(buffers, "work", None)
        if work is None or work.shape[1] < hi - lo:
            work = buffers.work = np.empty((config.num_perm, max(hi - lo, BLOCK_SHINGLES)), dtype=_U32)
        values = work[:, : hi - lo]
        np.multiply(a_column, mixed[None, lo:hi], out=values)
        values += b_column
        found[:, first_row:end_row] = np.minimum.reduceat(values, row_starts[first_row:end_row] - lo, axis=1)

    with ThreadPoolExecutor(thread_count()) as pool:
        list(pool.map(block, range(len(cuts) - 1)))
    out[owner[row_starts]] = found.T
    return out


def band_keys(signature: np.ndarray, band: int, rows: int) -> np.ndarray:
    """A 64-bit key of one band of each signature; equal bands give equal keys (and unequal bands almost
    never do: a collision only adds a candidate, which verification then rejects)."""
    return _band_key(signature[:, band * rows : (band + 1) * rows], band)


def _band_key(part: np.ndarray, band: int) -> np.ndarray:
    """:func:`band_keys` of one band's columns ``part`` (rows x band rows)."""
    part = part.astype(_U64)
    key = np.full(part.shape[0], band, dtype=_U64)
    for col in range(part.shape[1]):
        key = _fmix64(key * _U64(_COMBINE) + part[:, col])
    return key


# --- the index ------------------------------------------------------------------------------------------------


@dataclass
class Signatures:
    """What the near-duplicate pipeline keeps per source: the compared text, exact-duplicate representatives and
    the MinHash signature of each representative (a compact uint32 array, not per-row objects)."""

    rows: np.ndarray  # source row index of each entry
    text: pl.Series  # normalised compared text
    representative: np.ndarray  # entry index of the first entry with the same text
    signature: np.ndarray  # (entries, num_perm) uint32; meaningful for representatives with shingles
    has_shingles: np.ndarray  # bool per entry
    boilerplate: np.ndarray  # sorted uint64 shingle hashes that were dropped
    band_keys: np.ndarray | None = None  # (entries, bands) uint64 band keys of the signatures, when kept (subsets)

    def searchable(self) -> np.ndarray:
        """Entries that take part in LSH: representatives that have shingles."""
        return np.flatnonzero((self.representative == np.arange(len(self.representative))) & self.has_shingles)


def boilerplate_sample(texts: pl.Series, config: NearDupConfig) -> pl.Series | None:
    """The rows on which the boilerplate shares are estimated: evenly spaced over ``texts``; None when the filter
    is off (fewer than ``BOILERPLATE_MIN_ROWS`` rows, or a share of 0 or 1)."""
    at = boilerplate_sample_rows(len(texts), config)
    return None if at is None else texts.gather(at)


def boilerplate_sample_rows(n: int, config: NearDupConfig) -> np.ndarray | None:
    """Which of ``n`` rows :func:`boilerplate_sample` takes (None: the filter is off)."""
    if n < BOILERPLATE_MIN_ROWS or not 0 < config.boilerplate_share < 1:
        return None
    return np.arange(0, n, max(1, n // BOILERPLATE_SAMPLE_ROWS))


def frequent_shingles(texts: pl.Series, config: NearDupConfig) -> np.ndarray:
    """Shingles present in more than ``boilerplate_share`` of rows, on an evenly spaced sample of rows."""
    return sample_boilerplate(boilerplate_sample(texts, config), config)


def sample_boilerplate(sample: pl.Series | None, config: NearDupConfig) -> np.ndarray:
    """The shingles present in more than ``boilerplate_share`` of the rows of ``sample`` (sorted uint64)."""
    if sample is None:
        return np.zeros(0, _U64)
    owner, h = shingles(sample, config.ngram)
    rows = pl.DataFrame({"owner": owner, "h": h}).group_by("h").agg(pl.col("owner").n_unique().alias("rows"))
    limit = config.boilerplate_share * len(sample)
    return np.sort(rows.filter(pl.col("rows") > limit)["h"].to_numpy().astype(_U64))


def is_boilerplate(h: np.ndarray, boilerplate: np.ndarray) -> np.ndarray:
    """Which of ``h`` are boilerplate shingles (``boilerplate`` sorted): :func:`in_sorted`."""
    return in_sorted(h, boilerplate)


def in_sorted(h: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    """Which of ``h`` are in the sorted uint64 array ``ordered``: a table on the low bits (at least 16, and 8 per
    value of ``ordered`` up to 2^24) rules out almost every value at once, and only the rest is searched."""
    found = np.zeros(len(h), dtype=bool)
    if not len(ordered) or not len(h):
        return found
    bits = min(24, max(16, int(len(ordered)).bit_length() + 3))
    low = _U64((1 << bits) - 1)
    table = np.zeros(1 << bits, dtype=bool)
    table[(ordered & low).astype(np.int64)] = True
    maybe = np.flatnonzero(table[(h & low).astype(np.int64)])
    values = h[maybe]
    found[maybe] = ordered[np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)] == values
    return found


def filtered_shingles(
    texts: pl.Series, config: NearDupConfig, boilerplate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    owner, h = shingles(texts, config.ngram)
    if len(boilerplate):
        keep = ~is_boilerplate(h, boilerplate)
        owner, h = owner[keep], h[keep]
    return owner, h


def sign(texts: pl.Series, at: np.ndarray, config: NearDupConfig, boilerplate: np.ndarray):
    """(start, signatures, has shingles) per batch of ``BATCH_ROWS`` of the texts ``texts[at]`` (normalised), with
    the ``boilerplate`` shingles left out: each batch is gathered and shingled on its own (the batch bounds the
    text copy and the shingle arrays), and the caller places its signatures where it keeps them."""
    for lo in range(0, len(at), BATCH_ROWS):
        batch = texts.gather(at[lo : lo + BATCH_ROWS])
        owner, h = filtered_shingles(batch, config, boilerplate)
        has = np.zeros(len(batch), dtype=bool)
        has[owner] = True
        yield lo, signatures(owner, h, len(batch), config), has


def signatures_of(
    frame: pl.DataFrame, config: NearDupConfig, boilerplate: np.ndarray | None = None
) -> Signatures:
    """Compared text, exact-duplicate representatives and signatures for the rows of ``frame`` (columns
    ``row``, ``prompt``, ``completion``, both text). ``boilerplate`` defaults to this frame's own."""
    text = compared_text(frame, config)
    first = (
        pl.DataFrame({"text": text})
        .with_row_index("i")
        .select(pl.col("i").min().over("text").alias("rep"))["rep"]
        .to_numpy()
        .astype(np.int64)
    )
    reps = np.flatnonzero(first == np.arange(len(first)))
    if boilerplate is None:
        # the sample frequent_shingles would take of text[reps], gathered alone (not all of text[reps] first)
        at = boilerplate_sample_rows(len(reps), config)
        boilerplate = sample_boilerplate(None if at is None else text.gather(reps[at]), config)
    signature = np.full((len(first), config.num_perm), _MASK32, dtype=_U32)
    has = np.zeros(len(first), dtype=bool)
    for lo, batch_signature, batch_has in sign(text, reps, config, boilerplate):
        batch = reps[lo : lo + len(batch_has)]
        signature[batch], has[batch] = batch_signature, batch_has
    return Signatures(
        rows=frame["row"].to_numpy().astype(np.int64),
        text=text,
        representative=first,
        signature=signature,
        has_shingles=has[first],  # an exact duplicate has its representative's shingles
        boilerplate=boilerplate,
    )


def _pairs_in_runs(order: np.ndarray, keys_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of entries that share a key, from entries sorted by key. Runs up to ``BUCKET_ALL_PAIRS`` give all
    their pairs; a longer run gives each member's pair with the run's first member and with its predecessor."""
    n = len(order)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    boundary = np.r_[True, keys_sorted[1:] != keys_sorted[:-1]]
    run_id = np.cumsum(boundary) - 1
    run_start = np.flatnonzero(boundary)
    run_len = np.diff(np.r_[run_start, n])
    size = run_len[run_id]
    pos = np.arange(n) - run_start[run_id]  # position inside the run
    small = (size > 1) & (size <= BUCKET_ALL_PAIRS)
    # Small runs: each member pairs with every later member of its run.
    idx = np.flatnonzero(small)
    later = size[idx] - 1 - pos[idx]
    left = np.repeat(idx, later)
    offsets = np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later) + 1
    right = left + offsets
    # Long runs: the BUCKET_WINDOW members before and the first member.
    big = np.flatnonzero((size > BUCKET_ALL_PAIRS) & (pos > 0))
    head = run_start[run_id[big]]
    lefts, rights = [head[pos[big] > BUCKET_WINDOW]], [big[pos[big] > BUCKET_WINDOW]]
    for back in range(1, BUCKET_WINDOW + 1):
        has = pos[big] >= back
        lefts.append(big[has] - back)
        rights.append(big[has])
    a = order[np.concatenate([left, *lefts])]
    b = order[np.concatenate([right, *rights])]
    return np.minimum(a, b), np.maximum(a, b)


def _stable_order(keys: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Indices that sort ``keys`` (or only the indices ``among``, ascending), equal keys in index order: polars'
    order-keeping sort, on both cores, is twice numpy's stable argsort here."""
    index = np.arange(len(keys)) if among is None else among
    if len(index) < SMALL_SORT:
        return index[np.argsort(keys[index], kind="stable")]
    frame = pl.DataFrame({"i": index, "k": keys if among is None else keys[among]})
    return frame.sort("k", maintain_order=True)["i"].to_numpy()


def _shared_runs(keys: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The stable order of the entries whose key the other group also has: only their runs give pairs across the
    groups, and every member of such a run is kept, so the runs and the order inside them are as in the full sort
    (the same pairs come out), while the sort only sees the few shared keys."""
    first = groups == 0
    if len(keys) < SMALL_SORT:
        shared = np.empty(len(keys), dtype=bool)
        # np.isin's hashing is far slower here than a lookup in the sorted other side
        shared[first] = in_sorted(keys[first], np.sort(keys[~first]))
        shared[~first] = in_sorted(keys[~first], np.sort(keys[first]))
        among = np.flatnonzero(shared)
        return among[np.argsort(keys[among], kind="stable")]
    # the first group's keys looked up among the second's (validation, the smaller as a rule), then the second's
    # among the matches only: no hash set of the larger side is built
    t_at, v_at = np.flatnonzero(first), np.flatnonzero(~first)
    t_keys, v_keys = keys[t_at], keys[v_at]
    t_hit = pl.Series(t_keys).is_in(pl.Series(v_keys).implode()).to_numpy()
    v_hit = pl.Series(v_keys).is_in(pl.Series(t_keys[t_hit]).implode()).to_numpy()
    return _stable_order(keys, np.sort(np.r_[t_at[t_hit], v_at[v_hit]]))


ALL_KEYS_ROWS = 8192  # signatures keyed at a time by all_band_keys: the temporaries stay in cache


def all_band_keys(signature: np.ndarray, config: NearDupConfig) -> np.ndarray:
    """(rows, bands) uint64: :func:`band_keys` of every band of ``signature``, every band at once over a block of
    rows (the same arithmetic, on arrays that fit in cache: 1.5x faster than band by band)."""
    bands, rows = config.bands, config.band_rows
    keys = np.empty((len(signature), bands), dtype=_U64)
    start = np.arange(bands, dtype=_U64)
    for lo in range(0, len(signature), ALL_KEYS_ROWS):
        part = signature[lo : lo + ALL_KEYS_ROWS, : bands * rows].reshape(-1, bands, rows).astype(_U64)
        key = np.broadcast_to(start, part.shape[:2])
        for col in range(rows):
            key = _fmix64(key * _U64(_COMBINE) + part[:, :, col])
        keys[lo : lo + ALL_KEYS_ROWS] = key
    return keys


def agreeing_values(config: NearDupConfig) -> int:
    """Signature values a candidate pair must agree on: ``threshold - 3 sigma`` of them (see
    :func:`candidate_pairs`)."""
    sigma = math.sqrt(config.threshold * (1 - config.threshold) / config.num_perm)
    return math.ceil(max(0.0, config.threshold - 3 * sigma) * config.num_perm)


def candidate_pairs(
    signature: np.ndarray, entries: np.ndarray, config: NearDupConfig, groups: np.ndarray | None = None,
    keys: np.ndarray | None = None,
) -> np.ndarray:
    """Pairs of ``entries`` (indices into ``signature``) that share a band, and whose signatures agree on at least
    ``threshold - 3 sigma`` of their values (an estimate of Jaccard similarity that removes most candidates
    below the threshold before the exact check, cheaply; a pair at the threshold is lost with probability 0.0013,
    small beside the LSH's own miss rate there).

    With ``groups`` (0 or 1 per entry), only pairs across the two groups are kept. ``keys`` are the entries'
    band keys when already known (:func:`all_band_keys`).
    Returns (m, 2) int64 entry pairs, unique and sorted.
    """
    if len(entries) < 2:
        return np.zeros((0, 2), np.int64)
    bands, rows = config.bands, config.band_rows
    needed = agreeing_values(config)
    whole = len(entries) == len(signature) and np.array_equal(entries, np.arange(len(signature)))
    # the entries' signatures are gathered a band or a block of pairs at a time, never copied whole
    at = None if whole else entries

    def one_band(band: int) -> list[np.ndarray]:
        found = []
        if keys is not None:
            key = np.ascontiguousarray(keys[:, band])
        else:
            columns = slice(band * rows, (band + 1) * rows)
            key = _band_key(signature[:, columns] if at is None else signature[at, columns], band)
        order = _stable_order(key) if groups is None else _shared_runs(key, groups)
        x, y = _pairs_in_runs(order, key[order])
        if groups is not None:
            across = groups[x] != groups[y]
            x, y = x[across], y[across]
        for lo in range(0, len(x), 1 << 15):
            xs, ys = x[lo : lo + (1 << 15)], y[lo : lo + (1 << 15)]
            left, right = (xs, ys) if at is None else (at[xs], at[ys])
            keep = np.count_nonzero(signature[left] == signature[right], axis=1) >= needed
            if keep.any():
                found.append(xs[keep] * len(entries) + ys[keep])  # one int64 per pair, for a fast unique
        return found

    # bands on the run's threads (numpy's gathers and compares and polars' sort release the GIL); the pairs are
    # made unique and sorted at the end, so the order the bands finish in does not matter
    with ThreadPoolExecutor(thread_count()) as pool:
        found = [codes for band_codes in pool.map(one_band, range(bands)) for codes in band_codes]
    if not found:
        return np.zeros((0, 2), np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([entries[codes // len(entries)], entries[codes % len(entries)]], axis=1)


def components(n: int, edges: np.ndarray) -> np.ndarray:
    """Connected components of the graph on 0..n-1 with ``edges`` ((m, 2) ints): the smallest member of each
    node's component (a union-find's roots), for millions of edges without a Python loop.

    Rounds of hooking (each edge's larger root points to the smaller one, ``np.minimum.at``) and pointer jumping
    until no edge joins two labels; labels only ever move to a smaller node of the same component, so at the end
    each component has one label, its smallest member.
    """
    label = np.arange(n, dtype=np.int64)
    if len(edges) == 0:
        return label
    u, v = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    while True:
        lu, lv = label[u], label[v]
        differ = lu != lv
        if not differ.any():
            return label
        lu, lv = lu[differ], lv[differ]
        np.minimum.at(label, np.maximum(lu, lv), np.minimum(lu, lv))
        while True:  # pointer jumping: every node straight to its root
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
