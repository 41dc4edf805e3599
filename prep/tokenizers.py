"""Exact, offline token counts for the tokenizer families of the Cortex base models.

Two families are supported (``FAMILIES``); ``prep/data/models.toml`` names one per base model.

``llama3``
    The Llama 3 / 3.1 / 3.2 / 3.3 BPE tokenizer: 128,000 byte-level BPE ranks plus 256 special tokens,
    run by ``tiktoken``.  The ranks come from ``llama_models/llama3/tokenizer.model``, the file shipped
    inside the installed ``llama-models`` package; the split regex and the special-token list are the
    ones in ``llama_models/llama3/tokenizer.py``.  Texts longer than 25,000 characters are cut exactly
    the way the reference cuts them (400,000-character chunks, then pieces with at most 25,000
    consecutive whitespace or non-whitespace characters), because the cut changes the count.

``mistral-v1``
    The Mistral v1 SentencePiece model (32,000 pieces, as used by Mistral 7B and Mixtral 8x7B), run by
    ``sentencepiece``.  The model is ``mistral_common/data/tokenizer.model.v1``, shipped inside the
    installed ``mistral-common`` package.

No network: both files are read from the installed packages with :mod:`importlib.resources`, and
nothing here calls ``tiktoken.get_encoding`` (which downloads) or any hub.  We do not even call
``tiktoken.load.load_tiktoken_bpe``: for a plain local path it does not touch the network, but it
copies the file into ``$TIKTOKEN_CACHE_DIR`` (default ``<tmp>/data-gym-cache``) under a key derived from
the *path*, and later reads that copy without checking it, so an upgraded ``llama-models`` could be
served stale ranks (and a read-only cache dir set by the user makes it fail).  ``_parse_tiktoken_bpe``
parses the same ``base64-token rank`` format directly.  Neither package's heavy modules are imported.

The counts equal the reference encoders for every string:
``llama_models.llama3.tokenizer.Tokenizer.get_instance().encode(s, bos=False, eos=False)`` and
``mistral_common...SentencePieceTokenizer(tokenizer.model.v1).encode(s, bos=False, eos=False)``.
That is: raw text, no BOS/EOS, and special-token text such as ``<|eot_id|>`` or ``[INST]`` counted as
plain text (the reference uses ``allowed_special=set(), disallowed_special=()``).  Chat templates and
their special tokens are the caller's business.  Strings with lone surrogates (possible from JSON
``"\\ud800"`` escapes) are counted with U+FFFD in their place, which is what tiktoken itself does; the
SentencePiece reference cannot encode them at all.

Counting is batched and multi-threaded (``PREP_THREADS``, default ``min(2, cpu_count)``), and keeps
only lengths, never token id lists.
"""

from __future__ import annotations

import base64
import importlib
import importlib.metadata
import importlib.resources
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from prep.errors import ConfigError, DependencyError
from prep.runtime import import_directory

__all__ = ["FAMILIES", "TOKEN_BOUNDS", "Tokenizer", "count_tokens_family", "get_tokenizer", "max_tokens", "thread_count"]

FAMILIES: tuple[str, ...] = ("llama3", "mistral-v1")

#: Texts per batch, and the soft cap on characters per batch (bounds the id lists alive at once).
BATCH_TEXTS = 4096
BATCH_CHARS = 4_000_000

# --- llama3 constants, copied from llama_models/llama3/tokenizer.py --------------------------------

LLAMA3_PAT_STR = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
LLAMA3_NUM_RESERVED_SPECIAL_TOKENS = 256
LLAMA3_NAMED_SPECIAL_TOKENS: tuple[str, ...] = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>",
    "<|step_id|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eom_id|>",
    "<|eot_id|>",
    "<|python_tag|>",
    "<|image|>",
)
# The reference encodes at most this many characters per tiktoken call ...
TIKTOKEN_MAX_ENCODE_CHARS = 400_000
# ... and cuts runs of whitespace / non-whitespace longer than this (tiktoken issue #195).
MAX_NO_WHITESPACES_CHARS = 25_000

# Python's re ``\s`` is exactly ``str.isspace`` (both are Py_UNICODE_ISSPACE; the tests check all
# code points), so each match is one maximal run of the kind the reference's character loop tracks.
_RUN_RE = re.compile(r"\s+|\S+")


def llama3_special_tokens() -> list[str]:
    """The 256 special tokens of Llama 3, in id order (the first gets id 128000)."""
    reserved = [
        f"<|reserved_special_token_{2 + i}|>"
        for i in range(LLAMA3_NUM_RESERVED_SPECIAL_TOKENS - len(LLAMA3_NAMED_SPECIAL_TOKENS))
    ]
    return [*LLAMA3_NAMED_SPECIAL_TOKENS, *reserved]


def split_like_llama3(text: str) -> Iterator[str]:
    """Yield the pieces the Llama 3 reference encodes separately, in order.

    Same output as the reference's ``_split_whitespaces_or_nonwhitespaces`` applied to each
    400,000-character chunk, but one regex match per run instead of a Python step per character.
    Within a run starting at ``r``, the reference cuts at ``r + k * 25_000`` (k >= 1) before the run
    ends; the cut pieces may start with the tail of the previous run.
    """
    limit = MAX_NO_WHITESPACES_CHARS
    for start in range(0, len(text), TIKTOKEN_MAX_ENCODE_CHARS):
        chunk = text[start : start + TIKTOKEN_MAX_ENCODE_CHARS]
        if len(chunk) <= limit:
            yield chunk
            continue
        slice_start = 0
        for match in _RUN_RE.finditer(chunk):
            run_start, run_end = match.span()
            cut = run_start + limit
            while cut < run_end:
                yield chunk[slice_start:cut]
                slice_start = cut
                cut += limit
        yield chunk[slice_start:]


_LONG_WHITESPACE_RUN = re.compile(r"\s{%d}" % (MAX_NO_WHITESPACES_CHARS + 1))


def _needs_split(text: str) -> bool:
    """Whether the reference would cut ``text`` into several pieces: only past 400,000 characters, or with a run of
    whitespace or non-whitespace longer than 25,000. Otherwise ``split_like_llama3`` yields ``text`` whole, and the
    per-word regex walk it needs can be skipped (it cost over half of the time spent on long texts)."""
    if len(text) <= MAX_NO_WHITESPACES_CHARS:
        return False
    if len(text) > TIKTOKEN_MAX_ENCODE_CHARS:
        return True
    return max(map(len, text.split()), default=0) > MAX_NO_WHITESPACES_CHARS or bool(
        _LONG_WHITESPACE_RUN.search(text)
    )


# --- helpers ---------------------------------------------------------------------------------------


def thread_count() -> int:
    """Threads used for counting: ``$PREP_THREADS`` if set, else ``min(2, os.cpu_count())``."""
    raw = os.environ.get("PREP_THREADS", "").strip()
    if not raw:
        return max(1, min(2, os.cpu_count() or 1))
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"PREP_THREADS must be a positive integer, got {raw!r}")
    return value


def _batches(texts: Iterable[str]) -> Iterator[list[str]]:
    """Split ``texts`` into lists of at most BATCH_TEXTS texts and (softly) BATCH_CHARS characters."""
    batch: list[str] = []
    chars = 0
    for text in texts:
        batch.append(text)
        chars += len(text) if isinstance(text, str) else 0
        if len(batch) >= BATCH_TEXTS or chars >= BATCH_CHARS:
            yield batch
            batch = []
            chars = 0
    if batch:
        yield batch


def _without_lone_surrogates(text: str) -> str:
    """Replace lone surrogates with U+FFFD (pairs are joined), exactly as tiktoken does."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _check_str(text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"token counting needs str texts, got {type(text).__name__}")
    return text


def _import(module: str, pip_name: str, family: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DependencyError(
            f"the {family} tokenizer needs the {pip_name!r} package ({exc}); install it with: pip install {pip_name}"
        ) from None


# Where a stored procedure finds the tokenizer files it was given as IMPORTS (sql/procedures.sql), when the
# packages that ship them are not installed: Snowflake's import directory, or PREP_TOKENIZER_DIR.
BUNDLED_FILES = {"llama3": "llama3-tokenizer.model", "mistral-v1": "mistral-v1-tokenizer.model"}


def _bundled_file(family: str) -> tuple[bytes, str] | None:
    import os

    for folder in (os.environ.get("PREP_TOKENIZER_DIR"), import_directory()):
        if folder:
            path = os.path.join(folder, BUNDLED_FILES[family])
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    return handle.read(), f"bundled file {path}"
    return None


def _package_file(package: str, parts: tuple[str, ...], pip_name: str, family: str) -> tuple[bytes, str]:
    """Read a data file shipped inside an installed package, without importing its submodules (or the same file
    given to a stored procedure, see :data:`BUNDLED_FILES`)."""
    bundled = _bundled_file(family)
    if bundled is not None:
        return bundled
    try:
        resource = importlib.resources.files(package)
    except ImportError:  # ModuleNotFoundError is a subclass
        raise DependencyError(
            f"the {family} tokenizer reads its vocabulary from the {pip_name!r} package, which is not installed;"
            f" install it with: pip install {pip_name}"
        ) from None
    for part in parts:
        resource = resource / part
    try:
        data = resource.read_bytes()
    except OSError as exc:
        raise DependencyError(
            f"the {family} tokenizer file {'/'.join((package, *parts))} is missing from the installed {pip_name!r}"
            f" package ({exc.__class__.__name__}); reinstall it with: pip install --force-reinstall {pip_name}"
        ) from None
    try:
        version = importlib.metadata.version(pip_name)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown version"
    return data, f"{pip_name} {version}: {resource}"


def _parse_tiktoken_bpe(data: bytes, origin: str) -> dict[bytes, int]:
    """Parse a ``<base64 token> <rank>`` file, like ``tiktoken.load.load_tiktoken_bpe`` but uncached."""
    ranks: dict[bytes, int] = {}
    for line in data.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
        except Exception:
            raise DependencyError(f"cannot parse line {line[:80]!r} of {origin}; reinstall the package") from None
    return ranks


# --- tokenizers ------------------------------------------------------------------------------------


class Tokenizer:
    """One loaded tokenizer. Get instances with :func:`get_tokenizer`; they are safe to share between threads."""

    family: str
    origin: str

    def __init__(self, family: str, origin: str) -> None:
        self.family = family
        self.origin = origin

    def encode(self, text: str) -> list[int]:
        """Token ids of one raw text (no BOS/EOS, specials as plain text), equal to the reference encoder."""
        raise NotImplementedError

    def _count_batch(self, batch: list[str], threads: int) -> list[int]:
        raise NotImplementedError

    def count(self, texts: Iterable[str]) -> np.ndarray:
        """Token count of each text (raw, no BOS/EOS) as an int64 array, in input order."""
        threads = thread_count()
        parts = [np.asarray(self._count_batch(batch, threads), dtype=np.int64) for batch in _batches(texts)]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def __repr__(self) -> str:
        return f"<Tokenizer {self.family} from {self.origin}>"


class _Llama3Tokenizer(Tokenizer):
    def __init__(self) -> None:
        tiktoken = _import("tiktoken", "tiktoken", "llama3")
        data, origin = _package_file("llama_models", ("llama3", "tokenizer.model"), "llama-models", "llama3")
        super().__init__("llama3", origin)
        ranks = _parse_tiktoken_bpe(data, origin)
        del data
        n_base = len(ranks)
        specials = {token: n_base + i for i, token in enumerate(llama3_special_tokens())}
        self._encoding = tiktoken.Encoding(
            name="tokenizer.model",
            pat_str=LLAMA3_PAT_STR,
            mergeable_ranks=ranks,
            special_tokens=specials,
        )

    def _count_one(self, text: str) -> int:
        encode = self._encoding.encode_ordinary
        if not _needs_split(_check_str(text)):
            return len(encode(text))
        return sum(len(encode(piece)) for piece in split_like_llama3(text))

    def encode(self, text: str) -> list[int]:
        encode = self._encoding.encode_ordinary
        if not _needs_split(_check_str(text)):
            return encode(text)
        ids: list[int] = []
        for piece in split_like_llama3(text):
            ids.extend(encode(piece))
        return ids

    def _count_slice(self, texts: list[str]) -> list[int]:
        return [self._count_one(text) for text in texts]

    def _count_batch(self, batch: list[str], threads: int) -> list[int]:
        # Same counts as len() of each item of encoding.encode_ordinary_batch(batch, num_threads=threads),
        # which is a ThreadPoolExecutor.map of encode_ordinary over single texts.  That costs a future per
        # text, and on short texts the pool overhead made 2 threads 4x SLOWER than 1.  Here each task is a
        # contiguous slice (tiktoken releases the GIL while encoding), only one id list per thread is alive
        # at a time, and long texts take the reference's chunked path.
        if threads <= 1 or len(batch) < 2 * threads:
            return self._count_slice(batch)
        step = -(-len(batch) // (threads * 4))  # a few slices per thread, for balance
        slices = [batch[i : i + step] for i in range(0, len(batch), step)]
        with ThreadPoolExecutor(threads) as pool:
            return [n for counts in pool.map(self._count_slice, slices) for n in counts]


class _MistralV1Tokenizer(Tokenizer):
    def __init__(self) -> None:
        sentencepiece = _import("sentencepiece", "sentencepiece", "mistral-v1")
        data, origin = _package_file("mistral_common", ("data", "tokenizer.model.v1"), "mistral-common", "mistral-v1")
        super().__init__("mistral-v1", origin)
        try:
            self._sp = sentencepiece.SentencePieceProcessor(model_proto=data)
        except Exception as exc:  # a damaged file makes the C++ loader raise RuntimeError/OSError
            raise DependencyError(
                f"cannot load {origin} ({exc}); reinstall it with: pip install --force-reinstall mistral-common"
            ) from None

    def _encode_many(self, batch: list[str], threads: int) -> list[list[int]]:
        # Explicit num_threads: sentencepiece's default (-1) means one thread per core.
        return self._sp.encode(batch, out_type=int, add_bos=False, add_eos=False, num_threads=threads)

    def encode(self, text: str) -> list[int]:
        if not _encodable(_check_str(text)):
            text = _without_lone_surrogates(text)
        return self._encode_many([text], 1)[0]

    def _count_batch(self, batch: list[str], threads: int) -> list[int]:
        try:
            encoded = self._encode_many(batch, threads)
        except (TypeError, RuntimeError):
            # Non-str items, or lone surrogates (which pybind cannot turn into UTF-8).
            batch = [text if _encodable(_check_str(text)) else _without_lone_surrogates(text) for text in batch]
            encoded = self._encode_many(batch, threads)
        return [len(ids) for ids in encoded]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_LOADERS: dict[str, Callable[[], Tokenizer]] = {"llama3": _Llama3Tokenizer, "mistral-v1": _MistralV1Tokenizer}
_CACHE: dict[str, Tokenizer] = {}
_LOCK = threading.Lock()


def _unknown_family(family: object) -> ConfigError:
    return ConfigError(f"unknown tokenizer family {family!r}; known families: {', '.join(FAMILIES)}")


def get_tokenizer(family: str) -> Tokenizer:
    """The tokenizer of ``family``, loaded once per process (about 0.3 s for llama3, 0.05 s for mistral-v1)."""
    tokenizer = _CACHE.get(family) if isinstance(family, str) else None
    if tokenizer is not None:
        return tokenizer
    if family not in _LOADERS:
        raise _unknown_family(family)
    with _LOCK:
        tokenizer = _CACHE.get(family)
        if tokenizer is None:
            tokenizer = _CACHE[family] = _LOADERS[family]()
    return tokenizer


def _cache_clear() -> None:
    """Forget the loaded tokenizers (for tests)."""
    with _LOCK:
        _CACHE.clear()


get_tokenizer.cache_clear = _cache_clear  # type: ignore[attr-defined]


# Upper bounds of the token count from the UTF-8 byte length, per family: tokens <= a * bytes + b.
#
# - Llama 3 (byte-level BPE): every token stands for at least one byte of the text, so tokens <= bytes.
# - Mistral v1 (SentencePiece, byte fallback, no normalisation that expands text): every piece covers at least one
#   character, except byte-fallback pieces, one per byte of a character outside the vocabulary; the dummy-prefix
#   "▁" adds at most one piece. So tokens <= bytes + 1. (One token per character plus one does not hold: a
#   4-byte character outside the vocabulary is 4 tokens.)
#
# tests/test_tokenizers.py checks both against the real tokenizers on generated and real text. The budget rules
# use them to tokenize only rows whose bound exceeds a budget (prep.engine.Context.tokens_near_budget).
TOKEN_BOUNDS: dict[str, tuple[int, int]] = {"llama3": (1, 0), "mistral-v1": (1, 1)}


def max_tokens(family: str, byte_lengths: np.ndarray) -> np.ndarray:
    """The most tokens texts of these UTF-8 byte lengths can have under ``family``."""
    a, b = TOKEN_BOUNDS[family]
    return np.asarray(byte_lengths, dtype=np.int64) * a + b


def count_tokens_family(family: str, texts: Iterable[str]) -> np.ndarray:
    """Token counts of ``texts`` (raw, no BOS/EOS) under ``family``, as an int64 array."""
    return get_tokenizer(family).count(texts)



# Texts longer than this many UTF-8 bytes (a pasted log, a dumped file) are counted in chunks, and only as far as a
# caller needs: a budget rule needs to know that a 50 MB prompt is over every budget and about how much is cut, not
# its exact count, which would take a minute and gigabytes of token ids.
LONG_TEXT_BYTES = 1 << 20
_CHUNK_CHARS = 1 << 16


@dataclass(frozen=True)
class BoundedCounts:
    """Token counts of texts; ``estimated[i]`` when text ``i`` was long (over :data:`LONG_TEXT_BYTES`) and its
    count was extrapolated from its first ``counted_bytes[i]`` bytes (0 for the others, counted exactly)."""

    tokens: np.ndarray
    estimated: np.ndarray
    counted_bytes: np.ndarray


def _chunks(text: str) -> Iterator[str]:
    """Pieces of a long text cut at whitespace where there is some (so the tokenizer's pre-split agrees with the
    whole text's, but at the cuts), of about ``_CHUNK_CHARS`` characters."""
    start = 0
    while start < len(text):
        end = start + _CHUNK_CHARS
        if end < len(text):
            cut = max(text.rfind(" ", start + _CHUNK_CHARS // 2, end), text.rfind("\n", start + _CHUNK_CHARS // 2, end))
            end = cut if cut > start else end
        yield text[start:end]
        start = end


def count_tokens_bounded(family: str, texts: list[str], enough: int | None = None) -> BoundedCounts:
    """Token counts of ``texts`` under ``family``: exact up to :data:`LONG_TEXT_BYTES`; a longer text is counted
    chunk by chunk from its start until it has more than ``enough`` tokens (all of it when ``enough`` is None),
    and its total is the count so far scaled by its share of the text's bytes."""
    lengths = np.fromiter((len(t.encode("utf-8", "surrogatepass")) if len(t) * 4 > LONG_TEXT_BYTES else len(t)
                           for t in texts), dtype=np.int64, count=len(texts))
    long = np.flatnonzero(lengths > LONG_TEXT_BYTES)
    tokens = np.zeros(len(texts), dtype=np.int64)
    estimated = np.zeros(len(texts), dtype=bool)
    counted = np.zeros(len(texts), dtype=np.int64)
    short = np.setdiff1d(np.arange(len(texts)), long)
    if len(short):
        tokens[short] = count_tokens_family(family, [texts[i] for i in short])
    tokenizer = get_tokenizer(family) if len(long) else None
    for i in long.tolist():  # a loop over the few long texts; each chunk is tokenized natively
        total, seen = 0, 0
        for chunk in _chunks(texts[i]):
            total += int(tokenizer.count([chunk])[0])
            seen += len(chunk.encode("utf-8", "surrogatepass"))
            if enough is not None and total > enough:
                break
        tokens[i] = -(-total * int(lengths[i]) // max(seen, 1))
        estimated[i], counted[i] = True, seen
    return BoundedCounts(tokens, estimated, counted)
