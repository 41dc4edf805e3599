from dataclasses import dataclass

import polars as pl

from prep.engine.rule import PrepareAction, Rule, row_list
from prep.finding import Copy, Severity
from prep.limits import SCAN_CHARS, long_rows
from prep.measures.minhash import NearDupConfig
from prep.measures.neardup import clusters
from prep.measures.text import normalized

KEEP = ("first", "longest")


@dataclass(frozen=True)
class Options(NearDupConfig):
    max_cluster_size: int = 100
    keep: str = "first"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_cluster_size < 2:
            raise ValueError(f"max-cluster-size must be at least 2, got {self.max_cluster_size}")
        if self.keep not in KEEP:
            raise ValueError(f"keep must be one of {', '.join(KEEP)}, got {self.keep!r}")


def _exact_copies(source, rows: list[int]) -> set[int]:
    """Rows among ``rows`` that DU001 reports (same text after NFC and whitespace normalisation as an earlier row).
    Rows that DU001 calls equal have equal compared text here too, so they share a cluster: looking only at
    cluster rows is exact, and much cheaper than normalising every row."""
    if not rows:
        return set()
    pairs = source.pair_rows().filter(pl.col("row").is_in(rows))
    keyed = pairs.select(
        "row", normalized(pl.col("prompt")).alias("p"), normalized(pl.col("completion")).alias("c")
    ).with_columns(pl.col("row").min().over("p", "c").alias("first"))
    return set(keyed.filter(pl.col("row") != pl.col("first"))["row"].to_list())


class NearDuplicate(Rule):
    """Rows that are near duplicates of another row (MinHash + LSH, verified by exact Jaccard similarity).

    ## What it does
    Compares rows by the Jaccard similarity of their word n-gram sets and groups rows linked by pairs at or above
    `threshold` into clusters (union-find). In each cluster one row is kept (`keep`: the first, or the longest) and
    every other row is reported with the cluster id, the row kept, its similarity to the kept row, the cluster size,
    and the row it was matched with: the kept row itself when that pair reaches the threshold, otherwise the
    neighbour that links it into the cluster. Exact duplicates after DU001's normalisation are left to DU001.

    A cluster with more than `max-cluster-size` distinct texts (exact copies count once) is reported once, as
    suspicious, and none of its rows is marked as a duplicate: chains of pairwise-similar rows that large are
    usually templated text, and treating them as copies of one row would wipe out unrelated rows.

    How rows are compared (see `prep/minhash.py`):

    1. Normalise the compared text (`compare`: `prompt+completion`, `prompt` or `completion`): Unicode NFKC,
       lower case, punctuation and symbols to spaces, whitespace collapsed (`nfkc`, `lowercase`,
       `strip-punctuation`).
    2. Shingle into word n-grams (`ngram`, default 2); a text shorter than `ngram` words is one shingle.
    3. Drop boilerplate: shingles found in more than `boilerplate-share` of rows (a shared instruction or tool
       preamble), estimated on a sample; only for sources of 500 rows or more.
    4. MinHash with `num-perm` permutations and `seed` (datasketch's affine32 scheme, computed over whole
       columns with numpy), LSH banding (25 bands of 5 rows for the defaults), a signature-agreement prefilter, and
       finally the exact Jaccard similarity of the two shingle sets. No pair below the threshold is reported.

    Why 0.6 on word bigrams: a row with 10% of its words edited (substituted, inserted or deleted) keeps a
    bigram Jaccard of 0.67 or more in 95% of cases (measured on alpaca rows), so the default finds such copies,
    while distinct rows of real instruction data stay far below it (no pair of distinct alpaca rows reaches 0.5).
    Raise it to flag only closer copies; lower it and expect templated rows to cluster.

    ## Why is this bad?
    Near-duplicate rows cost training tokens on every epoch without teaching anything new, and they weigh their
    content more than the rest of the data. The cluster view tells you which row stays and why.

    ## Example
    ```
    {"prompt": "My bill shows $90 of roaming fees from my trip to Japan. Please refund them.", "completion": "Roaming fees"}
    {"prompt": "My bill shows $90 in roaming fees from my trip to Japan, please refund them!", "completion": "Roaming fees"}
    ```
    Row 1: `near duplicate of row 0 (kept; similarity 0.75; cluster 0 has 2 rows)`.

    ## Options
    - `threshold` (float, default `0.6`): Jaccard similarity at or above which two rows are near duplicates.
    - `compare` (str, default `prompt+completion`): what is compared: `prompt+completion`, `prompt` or
      `completion`.
    - `ngram` (int, default `2`): words per shingle.
    - `num-perm` (int, default `128`): MinHash permutations (16 to 1024).
    - `seed` (int, default `1`): seed of the permutations (datasketch's `MinHash(seed=...)`).
    - `nfkc`, `lowercase`, `strip-punctuation` (bool, default `true`): normalisation steps.
    - `boilerplate-share` (float, default `0.1`): shingles in more than this share of rows are ignored; `0`
      turns the filter off.
    - `max-cluster-size` (int, default `100`): clusters with more distinct texts are reported as suspicious, not
      as duplicates.
    - `keep` (str, default `first`): which row of a cluster is kept: `first` or `longest`.
    """

    code = "DU002"
    name = "near-duplicate"
    severity = Severity.WARNING
    Options = Options
    prepare = PrepareAction.KEEP_ONE

    def check_source(self, ctx, source):
        options = self.options
        found = clusters(ctx, source, config=options.config(), keep=options.keep)
        limit = options.max_cluster_size
        exact_copy = _exact_copies(source, [row for c in found if c.distinct <= limit for row in c.rows])
        cut = long_rows(source.frame) if found else set()
        for cluster in found:
            if cluster.distinct > limit:
                yield self.finding(
                    source.name,
                    f"cluster {cluster.id} of {cluster.size:,} rows ({cluster.distinct:,} distinct texts) linked by "
                    f"near-duplicate pairs is larger than max-cluster-size ({limit}): likely templated text, so no "
                    f"row is marked as a duplicate; rows {row_list(cluster.rows)}",
                    row=cluster.rows[0],
                    cluster=cluster.id,
                    cluster_size=cluster.size,
                    distinct_texts=cluster.distinct,
                    suspicious=True,
                    evidence=Copy(None),
                    rows=cluster.rows[:100],
                )
                continue
            for member in cluster.members:
                if member.row in exact_copy:
                    continue  # DU001 reports it
                if member.matched_row == cluster.kept_row:
                    message = (
                        f"near duplicate of row {cluster.kept_row} (kept; similarity {member.similarity:.2f}; "
                        f"cluster {cluster.id} has {cluster.size} rows)"
                    )
                else:
                    message = (
                        f"near duplicate of row {member.matched_row} (similarity {member.similarity:.2f}); its "
                        f"cluster {cluster.id} of {cluster.size} rows keeps row {cluster.kept_row} (similarity "
                        f"{member.similarity_to_kept:.2f})"
                    )
                yield self.finding(
                    source.name,
                    message,
                    row=member.row,
                    cluster=cluster.id,
                    kept_row=cluster.kept_row,
                    similarity_to_kept=round(member.similarity_to_kept, 4),
                    cluster_size=cluster.size,
                    matched_row=member.matched_row,
                    similarity=round(member.similarity, 4),
                    suspicious=False,
                    evidence=Copy(cluster.kept_row),
                    **({"compared_chars": SCAN_CHARS} if member.row in cut else {}),
                )
