import polars as pl
from ftfy.badness import is_bad

from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.limits import SCAN_CHARS
from prep.quoting import quote

REPLACEMENT = "\ufffd"
# C0 controls other than tab, newline and carriage return; DEL; C1 controls.
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]"
# A UTF-8 lead byte read as Latin-1/cp1252 (Â..ô) followed by a continuation byte read the same way: the shape
# of UTF-8 decoded with the wrong codec ("cafÃ©", "Iâ€™m", "Â£5"). Only a prefilter: ftfy decides.
_CONTINUATION = (
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
MOJIBAKE = f"[\u00c2-\u00f4]{_CONTINUATION}{_CONTINUATION}?"


class BrokenText(Rule):
    """Text damaged by encoding: U+FFFD replacement characters, control characters, lone surrogates, mojibake.

    ## What it does
    Reports each prompt or completion that contains any of:

    - U+FFFD replacement characters: bytes that were not valid UTF-8, in the file or in an earlier export (the
      readers decode invalid bytes and JSON lone-surrogate escapes such as `\\ud800` to U+FFFD, so those show up
      here too);
    - control characters other than tab, newline and carriage return (C0, DEL, C1);
    - likely mojibake, UTF-8 read as Latin-1 or cp1252 (`cafÃ©`, `Iâ€™m`): a vectorised pattern finds
      candidates and `ftfy`'s badness heuristic confirms them.

    The message counts each kind and quotes the first mojibake sequence.

    ## Why is this bad?
    The model learns the damage: it will emit `â€™` for apostrophes or stray control bytes. These are almost
    always upstream encoding bugs that are cheap to fix before training and impossible to fix after.

    ## Example
    ```
    {"prompt": "Iâ€™m being charged roaming fees", "completion": "Sorry to hear that."}
    ```
    `prompt has likely mojibake ('â€™')`.
    """

    code = "TX001"
    name = "broken-text"
    severity = Severity.WARNING

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            text = pl.col("text")
            rows = (
                source.text_rows(field_name)
                .with_columns(
                    text.str.count_matches(REPLACEMENT, literal=True).alias("replacement"),
                    text.str.count_matches(CONTROL).alias("control"),
                    text.str.extract(f"({MOJIBAKE})", 1).alias("mojibake"),
                )
                .filter((pl.col("replacement") > 0) | (pl.col("control") > 0) | pl.col("mojibake").is_not_null())
            )
            for row, value, replacement, control, mojibake in rows.iter_rows():
                if mojibake is not None and not is_bad(value[:SCAN_CHARS]):
                    mojibake = None
                problems = []
                if replacement:
                    problems.append(f"{replacement} U+FFFD replacement character{'s' * (replacement > 1)}")
                if control:
                    problems.append(f"{control} control character{'s' * (control > 1)}")
                if mojibake:
                    problems.append(f"likely mojibake ('{quote(mojibake)}')")
                if not problems:
                    continue
                yield self.finding(
                    source.name,
                    f"{field_name} has {', '.join(problems)}",
                    row=row,
                    field=field_name,
                    replacement_characters=replacement,
                    control_characters=control,
                    mojibake=None if mojibake is None else quote(mojibake),
                )
