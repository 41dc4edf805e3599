from dataclasses import dataclass

import polars as pl

from prep.engine.rule import PrepareAction, Rule
from prep.finding import Copy, Severity
from prep.limits import SCAN_CHARS, long_rows
from prep.measures.minhash import NearDupConfig
from prep.measures.neardup import clusters, completion_similarities, resolved
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
    `threshold` into clusters. Membership is decided **against the kept row**: rows linked by pairs (union-find)
    form a component; its kept row (`keep`: the first, or the longest) takes every row whose own similarity to it
    reaches the threshold (exact check), and the rows it does not take form clusters of their own the same way
    (the first or longest of them kept); a row left alone is in no cluster and not reported. So a chain A~B~C with
    C far from A reports B as a copy of A and leaves C, and `prep prepare` never drops a row that is not near the
    row it keeps. Every other row of a cluster is reported with the cluster id, the row kept, its similarity to
    the kept row and the cluster size. Exact duplicates after DU001's normalisation are left to DU001.

    On label-like data (see `prep.measures.labels`) the default `compare = "auto"` compares the prompts only: a
    shared label's words would otherwise make two short prompts reach the threshold (`cancel my card` /
    `freeze my card` with the label `card block` score 0.67 together, 0.33 without it). Whether the two rows have
    the same label is then given in the message (`same label` / `different label`) and as `same_label` in the
    data; `compared` says what was compared.

    A cluster with more than `max-cluster-size` distinct texts (exact copies count once) is checked on its
    completions: when every member's completion reaches `threshold` against the kept row's (word n-grams, no
    boilerplate filter) the rows are copies and are reported as above (with `completions_similar`, the lowest
    completion similarity); otherwise the cluster is reported once, as suspicious, and none of its rows is marked:
    prompts that alike with different answers are templated text, not copies.

    How rows are compared (see `prep/minhash.py`):

    1. Normalise the compared text (`compare`: `auto`, `prompt+completion`, `prompt` or `completion`): Unicode NFKC,
       lower case, punctuation and symbols to spaces, whitespace collapsed (`nfkc`, `lowercase`,
       `strip-punctuation`).
    2. Shingle into word n-grams (`ngram`, default 2); a text shorter than `ngram` words is one shingle.
    3. Drop boilerplate: shingles found in more than `boilerplate-share` of rows (a shared instruction or tool
       preamble), estimated on a sample; only for sources of 100 rows or more
       (`BOILERPLATE_MIN_ROWS`; it was 500, which left the shared instruction of the 152-row bundled sample in).
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
    Line 2 (two rows, one label: label-like, so the prompts are compared): `near duplicate of line 1 (kept; similarity
    0.75; cluster 0 has 2 rows; same label)`.

    ## Measured
    `prep lint FILE --model llama3-8b --format json` on ../shared/data (alpaca_demo with `--prompt-col instruction
    --completion-col output`; clinc150 val with `--validation clinc150/clinc150_val.jsonl`; support_tickets is the
    bundled sample `prep/data/samples/support_tickets.jsonl`), before and after issue 17 (label detection without a
    class cap, prompts-only comparison on label-like data, clusters decided against the kept row, boilerplate from
    100 rows):
    clinc150 train 3,341 -> 1,851 (1,766 same label, 85 different label; clinc150 is now label-like, so prompts
    are compared, and no member is far from its kept row: the lowest similarity to the kept row was 0.10 before);
    clinc150 val 328 -> 191; mbpp 74 -> 70 (69 with per-field shingles; lowest similarity to the kept row 0.56 ->
    0.61); alpaca_demo 0 -> 0;
    DBpedia 0 -> 0; support_tickets 67 -> 6 (lowest similarity to the kept row 0.39 -> 0.79: the 152-row sample's
    shared instruction is now boilerplate; `prep prepare` excludes 6 rows for DU002 instead of 67). No oversized
    cluster on these files before or after.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): precision
    support_tickets 15/15; clinc150 10/15 (the 5 false: two utterances of one template with a different entity,
    "federal" and "state" taxes, "Cancun" and "Jamaica"); mbpp 2/15 (the 13 false: tasks of one template that
    differ in the word that matters, "even" and "odd", "first" and "last", "left" and "right"). Recall 69/70
    injected near copies; the miss is a copy whose nearest row was already a member of another cluster (rows
    join the cluster of the row they match, by design). Per-field shingles (issue 17) took mbpp from 70 to 69
    findings on the whole file.

    ## Known problems
    - **Templated code tasks.** On MBPP most near duplicates are different tasks written from one template: the
      sentence differs in one word and so does the code (`% 2 == 0` for `== 1`). Word shingles cannot tell them
      apart; at `threshold = 0.85` mbpp gives 7 findings, of which 3 are copies (read by hand). Read DU002 on code
      as a list to review, not as rows to drop: `ignore = ["DU002"]` in the config, or `prep prepare --duplicates
      keep-all` (which keeps exact copies too), leaves every row in.
    - **Boilerplate on short text.** Shingles in over `boilerplate-share` of the rows are ignored. Making this less
      aggressive where the remaining text is short was measured on mbpp and not adopted: of the 21 pairs the filter
      removes there, 19 are opposite-variant tasks ("even" and "odd"), so it would add false alarms, not copies.

    ## Options
    - `threshold` (float, default `0.6`): Jaccard similarity at or above which two rows are near duplicates.
    - `compare` (str, default `auto`): what is compared: `auto` (`prompt` on label-like data, else
      `prompt+completion`), `prompt+completion`, `prompt` or `completion`.
    - `ngram` (int, default `2`): words per shingle.
    - `num-perm` (int, default `128`): MinHash permutations (16 to 1024).
    - `seed` (int, default `1`): seed of the permutations (datasketch's `MinHash(seed=...)`).
    - `nfkc`, `lowercase`, `strip-punctuation` (bool, default `true`): normalisation steps.
    - `boilerplate-share` (float, default `0.1`): shingles in more than this share of rows are ignored; `0`
      turns the filter off.
    - `max-cluster-size` (int, default `100`): clusters with more distinct texts are reported as suspicious, not
      as duplicates, unless their completions are near-identical too.
    - `keep` (str, default `first`): which row of a cluster is kept: `first` or `longest`.
    """

    code = "DU002"
    name = "near-duplicate"
    severity = Severity.WARNING
    Options = Options
    prepare = PrepareAction.KEEP_ONE

    def check_source(self, ctx, source):
        options = self.options
        config = resolved(ctx, source, options)
        found = clusters(ctx, source, config=config, keep=options.keep)
        limit = options.max_cluster_size
        copies_of = {}  # oversized clusters whose completions are near-identical too: copies, not templates
        for cluster in found:
            if cluster.distinct > limit:
                similar = completion_similarities(source, config, cluster.kept_row, [m.row for m in cluster.members])
                below = sum(value < config.threshold for value in similar.values())
                copies_of[cluster.id] = (below == 0, below, min(similar.values(), default=1.0))
        marked = [c for c in found if c.distinct <= limit or copies_of[c.id][0]]
        exact_copy = _exact_copies(source, [row for c in marked for row in c.rows])
        cut = long_rows(source.frame) if found else set()
        labels = _labels(source) if config.compare == "prompt" and found else {}
        for cluster in found:
            if cluster.distinct > limit and not copies_of[cluster.id][0]:
                below = copies_of[cluster.id][1]
                yield self.finding(
                    source.name,
                    f"cluster {cluster.id} of {cluster.size:,} rows ({cluster.distinct:,} distinct texts) is larger "
                    f"than max-cluster-size ({limit}) and its completions differ ({below:,} of "
                    f"{len(cluster.members):,} rows' completions below {config.threshold:.2f} similarity to "
                    f"{source.place(cluster.kept_row)}'s): likely templated text, so no row is marked as a duplicate; "
                    f"{source.places(cluster.rows)}",
                    row=cluster.rows[0],
                    cluster=cluster.id,
                    cluster_size=cluster.size,
                    distinct_texts=cluster.distinct,
                    suspicious=True,
                    compared=config.compare,
                    evidence=Copy(None),
                    rows=cluster.rows[:100],
                )
                continue
            for member in cluster.members:
                if member.row in exact_copy:
                    continue  # DU001 reports it
                extra, label = {}, ""
                if labels:
                    same = labels.get(member.row) == labels.get(cluster.kept_row)
                    extra["same_label"] = same
                    label = "; same label" if same else "; different label"
                if cluster.distinct > limit:
                    extra["completions_similar"] = round(copies_of[cluster.id][2], 4)
                yield self.finding(
                    source.name,
                    f"near duplicate of {source.place(cluster.kept_row)} (kept; similarity {member.similarity_to_kept:.2f}; "
                    f"cluster {cluster.id} has {cluster.size} rows{label})",
                    row=member.row,
                    cluster=cluster.id,
                    kept_row=cluster.kept_row,
                    similarity_to_kept=round(member.similarity_to_kept, 4),
                    cluster_size=cluster.size,
                    matched_row=member.matched_row,
                    similarity=round(member.similarity, 4),
                    suspicious=False,
                    compared=config.compare,
                    evidence=Copy(cluster.kept_row),
                    **extra,
                    **({"compared_chars": SCAN_CHARS} if member.row in cut else {}),
                )


def _labels(source) -> dict[int, str]:
    """Each pair row's stripped completion (its label on label-like data)."""
    pairs = source.pair_rows()
    return dict(zip(pairs["row"].to_list(), pairs["completion"].str.strip_chars().to_list()))
