from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.flags import encoding_flags
from prep.quoting import quote


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
            rows = encoding_flags(source.text_rows(field_name)).select("row", "replacement", "control", "mojibake")
            for row, replacement, control, mojibake in rows.iter_rows():
                problems = []
                if replacement:
                    problems.append(f"{replacement} U+FFFD replacement character{'s' * (replacement > 1)}")
                if control:
                    problems.append(f"{control} control character{'s' * (control > 1)}")
                if mojibake:
                    problems.append(f"likely mojibake ('{quote(mojibake)}')")
                yield self.finding(
                    source.name,
                    f"{field_name} has {', '.join(problems)}",
                    row=row,
                    field=field_name,
                    replacement_characters=replacement,
                    control_characters=control,
                    mojibake=None if mojibake is None else quote(mojibake),
                )
