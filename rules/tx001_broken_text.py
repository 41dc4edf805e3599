from prep.dataset import TEXT_FIELDS
from prep.engine.rule import Rule
from prep.finding import Severity
from prep.measures.flags import encoding_flags
from prep.quoting import quote


class BrokenText(Rule):
    """Text damaged by encoding: U+FFFD, control characters, lone surrogates, mojibake, quoted-printable, HTML entities.

    ## What it does
    Reports each prompt or completion that contains any of:

    - U+FFFD replacement characters: bytes that were not valid UTF-8, in the file or in an earlier export (the
      readers decode invalid bytes and JSON lone-surrogate escapes such as `\\ud800` to U+FFFD, so those show up
      here too);
    - control characters other than tab, newline and carriage return (C0, DEL, C1);
    - likely mojibake, UTF-8 read as Latin-1 or cp1252 (`cafÃ©`, `Iâ€™m`): a vectorised pattern finds
      candidates and `ftfy`'s badness heuristic confirms them;
    - quoted-printable residue, e-mail bodies that were never decoded (`Caf=C3=A9`, `href=3D"...`, lines
      wrapped with a trailing `=`): only shapes that code and maths do not produce count, that is a run of two or
      more `=XX` escapes, or two of `=3D` and soft line breaks (`=` ending a line right after a character that is
      not a space). `x=20`, `n=10`, `a==b` and `total =` at a line end are code and are not reported;
    - HTML entities left in plain text (`Tom &amp; Jerry`, `don&#39;t`, `&nbsp;`): real entities only (HTML 4's
      named entities, `&apos;`, decimal and hex numeric ones; `AT&T` or `R&D;` are not), and only in text without
      HTML or XML tags, since markup's entities are its own (`<p>&copy; 2024</p>`).

    The message counts each kind and quotes the first mojibake sequence and the first entity.

    ## Why is this bad?
    The model learns the damage: it will emit `â€™` for apostrophes, `=20` for spaces, `&amp;` for `&` or stray
    control bytes. These are almost always upstream encoding bugs that are cheap to fix before training and
    impossible to fix after: decode quoted-printable bodies (Python's `quopri` or the `email` package) and
    unescape entities (`html.unescape`) in the export, not in the model.

    ## Example
    ```
    {"prompt": "Iâ€™m being charged roaming fees", "completion": "Sorry to hear that."}
    ```
    `prompt has likely mojibake ('â€™')`.
    ```
    {"prompt": "Caf=C3=A9 hours are=\\nlisted below", "completion": "Tom &amp; Jerry&#39;s"}
    ```
    `prompt has quoted-printable residue (2 '=XX' escapes, 1 soft line break)` and
    `completion has 2 HTML entities ('&amp;')`.

    ## Measured
    Quoted-printable and entity residue on the datasets in `../shared/data` (all prompts and completions of
    alpaca_demo, gpteacher_toolformer, clinc150, mbpp (both files, with the raw file's test lists), openai_cookbook,
    pii_small, support_tickets): 0 texts reported, so no false alarm, where the loose pattern `=[0-9A-F]{2}` alone
    matches 5 mbpp completions and 108 raw mbpp code+test texts (`n=10`, `x=20`) and 3 alpaca completions. None of
    those datasets holds e-mail, so recall was checked on the cases in `tests/rule_cases/TX001.yaml` and
    `tests/test_text_checks.py`. Reproduce with `python3 -m pytest -q tests/test_text_checks.py -k tx001`.

    `python bench/rule_quality.py` (about 5 s; four datasets of ../shared/data with a validation split each;
    precision on a seeded sample of up to 15 findings per dataset, each read by hand, verdicts and reasons in
    `bench/truth/hand_checked.json`; recall on defects injected into a copy of the data): recall 72/72 injected
    defects (18 each of mojibake, a control character, quoted-printable residue with a soft line break and
    `=3D`, HTML entities); before issue 17 36/72 (the residue kinds were not reported).
    """

    code = "TX001"
    name = "broken-text"
    severity = Severity.WARNING

    def check_source(self, ctx, source):
        for field_name in TEXT_FIELDS:
            rows = encoding_flags(source.text_rows(field_name)).select(
                "row", "replacement", "control", "mojibake", "qp_escapes", "qp_soft_breaks", "html_entities", "entity"
            )
            for row, replacement, control, mojibake, escapes, soft_breaks, entities, entity in rows.iter_rows():
                problems = []
                if replacement:
                    problems.append(f"{replacement} U+FFFD replacement character{'s' * (replacement > 1)}")
                if control:
                    problems.append(f"{control} control character{'s' * (control > 1)}")
                if mojibake:
                    problems.append(f"likely mojibake ('{quote(mojibake)}')")
                if escapes or soft_breaks:
                    parts = [f"{escapes} '=XX' escape{'s' * (escapes != 1)}"] * bool(escapes)
                    parts += [f"{soft_breaks} soft line break{'s' * (soft_breaks != 1)}"] * bool(soft_breaks)
                    problems.append(f"quoted-printable residue ({', '.join(parts)})")
                if entities:
                    problems.append(f"{entities} HTML entit{'ies' if entities != 1 else 'y'} ('{quote(entity)}')")
                yield self.finding(
                    source.name,
                    f"{field_name} has {', '.join(problems)}",
                    row=row,
                    field=field_name,
                    replacement_characters=replacement,
                    control_characters=control,
                    mojibake=None if mojibake is None else quote(mojibake),
                    quoted_printable=escapes + soft_breaks,
                    html_entities=entities,
                )
