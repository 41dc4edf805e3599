"""Text flags: encoding damage, chat-template tokens, template variables and references to missing material, per
text, over a whole column.

The measures behind the broken-text, template-token, unfilled-placeholder and missing-context rules, and the body of
the ``PREP_TEXT_FLAGS`` UDF.
"""

from __future__ import annotations

from html.entities import name2codepoint

import polars as pl
from ftfy.badness import is_bad

from prep.limits import SCAN_CHARS

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

# Quoted-printable residue (RFC 2045 text decoded as if it were plain): only shapes that code and maths do not
# produce. A run of two or more "=XX" escapes (UTF-8 bytes "=C3=A9", "=E2=80=99", "=20=20"), "=3D" (an encoded
# "="), and soft line breaks ("=" at the end of a line, straight after a character that is not a space or "=").
# A lone "x=20", "n=10" or "a==b" is code; "total =" at a line end is code too (a space before the "=").
QP_RUN = r"(?:=[0-9A-F]{2}){2,}"
QP_EQUALS = "=3D"
QP_SOFT_BREAK = r"[^\s=]=\r?\n"
QP_ESCAPE = "=[0-9A-F]{2}"
# A text is quoted-printable residue when it has a run of escapes, or two of the other shapes.
QP_MIN_SHAPES = 2
# Real HTML entities only: HTML 4's 252 names (Python's html.entities) and XML's &apos;, decimal and hex numeric.
# "AT&T", "R&D;", "a && b" and "&notanentity;" are not entities.
HTML_ENTITY = (
    "&(?:" + "|".join(sorted({*name2codepoint, "apos"}, key=lambda n: (-len(n), n))) + r"|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
)
# Text with HTML or XML tags is markup, whose entities are its own ("<p>&copy; 2024</p>" is correct HTML).
HTML_TAG = r"</?[A-Za-z][A-Za-z0-9]*[\s/>]"

# Special and chat-template tokens of the Llama 3 and Mistral families, plus ChatML, whose literal text in
# training data means a template was applied (or half-applied) before the data reached Cortex.
TEMPLATE_TOKEN = (
    r"<\|(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|step_id|image"
    r"|finetune_right_pad_id|reserved_special_token_\d+|im_start|im_end|endoftext)\|>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|<unk>"
)


def _damaged() -> pl.Expr:
    return (
        (pl.col("replacement") > 0) | (pl.col("control") > 0) | pl.col("mojibake").is_not_null()
        | (pl.col("qp_escapes") + pl.col("qp_soft_breaks") > 0) | (pl.col("html_entities") > 0)
    )


def encoding_flags(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) with encoding damage, with ``replacement`` and ``control``
    (counts), ``mojibake`` (the first likely mojibake sequence, confirmed by ftfy's badness heuristic on the
    first SCAN_CHARS characters; null when there is none), ``qp_escapes`` and ``qp_soft_breaks`` (the "=XX"
    escapes and soft line breaks of a text that has quoted-printable residue, else 0), ``html_entities`` and
    ``entity`` (the count and first HTML entity of a text without markup, else 0 and null). Rows with no damage are
    left out."""
    text = pl.col("text")
    qp_shapes = text.str.count_matches(QP_EQUALS, literal=True) + text.str.count_matches(QP_SOFT_BREAK)
    is_qp = text.str.contains(QP_RUN) | (qp_shapes >= QP_MIN_SHAPES)
    is_markup = text.str.contains(HTML_TAG)
    flagged = rows.with_columns(
        text.str.count_matches(REPLACEMENT, literal=True).alias("replacement"),
        text.str.count_matches(CONTROL).alias("control"),
        text.str.extract(f"({MOJIBAKE})", 1).alias("mojibake"),
        pl.when(is_qp).then(text.str.count_matches(QP_ESCAPE)).otherwise(0).cast(pl.UInt32).alias("qp_escapes"),
        pl.when(is_qp).then(text.str.count_matches(QP_SOFT_BREAK)).otherwise(0).cast(pl.UInt32).alias("qp_soft_breaks"),
        pl.when(is_markup).then(0).otherwise(text.str.count_matches(HTML_ENTITY)).cast(pl.UInt32).alias("html_entities"),
        pl.when(is_markup).then(None).otherwise(text.str.extract(f"({HTML_ENTITY})", 1)).alias("entity"),
    ).filter(_damaged())
    # ftfy judges one text at a time (it has no column API): only the prefilter's candidates reach it.
    candidates = flagged["mojibake"].is_not_null()
    confirmed = [is_bad(value[:SCAN_CHARS]) for value in flagged.filter(candidates)["text"].to_list()]
    if confirmed:
        keep = pl.Series(confirmed, dtype=pl.Boolean)
        verdict = pl.Series([None] * flagged.height, dtype=pl.Boolean).scatter(candidates.arg_true(), keep)
        flagged = flagged.with_columns(
            pl.when(verdict.fill_null(False)).then(pl.col("mojibake")).otherwise(None).alias("mojibake")
        )
    return flagged.filter(_damaged())


def template_tokens(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) holding template tokens, with ``tokens``: each occurrence,
    in text order."""
    return rows.filter(pl.col("text").str.contains(TEMPLATE_TOKEN)).select(
        "row", pl.col("text").str.extract_all(TEMPLATE_TOKEN).alias("tokens")
    )


def token_counts(tokens: list[str]) -> dict[str, int]:
    """``{token: occurrences}`` in order of first occurrence."""
    return {token: tokens.count(token) for token in dict.fromkeys(tokens)}


# --- template variables (unfilled placeholders) -------------------------------------------------------------------

# Template-engine syntax around one identifier: Jinja/Mustache "{{name}}" (spaces allowed), Python str.format
# "{name}", shell/JS "${name}", and "<FIRST_NAME>" (upper case, two or more characters). The character before must
# not make it something else: a word character (LaTeX "\frac{a}{b}", generics "List<T>"), "\", "^", "_", "}" (LaTeX),
# "$" or "{" (other shapes), "<" ("<<SYS>>"). Square brackets ("[NAME]") are never variables: they are the redaction
# placeholders PI001 skips, and what prep's own redaction writes.
TEMPLATE_VARIABLE = (
    r"(?:^|[^\w\\^_}{$<])(\{\{ *[A-Za-z_][\w .-]*? *\}\}|\{[A-Za-z_][\w-]*\}|<[A-Z][A-Z0-9_]+>)"
    r"|(?:^|[^\w\\$])(\$\{[A-Za-z_][\w.]*\})"
)
# Angle-bracket names that are not template variables: redaction placeholders as presidio's anonymizer writes them
# (its entity types) and the usual short redaction tags, tokenizer special tokens, upper-case HTML tags.
NOT_VARIABLES = frozenset({
    "PERSON", "NAME", "EMAIL", "EMAIL_ADDRESS", "PHONE", "PHONE_NUMBER", "CREDIT_CARD", "CRYPTO", "DATE",
    "DATE_TIME", "IBAN_CODE", "IP", "IP_ADDRESS", "LOCATION", "ADDRESS", "MEDICAL_LICENSE", "NRP", "URL",
    "US_BANK_NUMBER", "US_DRIVER_LICENSE", "US_ITIN", "US_PASSPORT", "US_SSN", "SSN", "UK_NHS", "ORG",
    "ORGANIZATION", "REDACTED", "PII", "MASK", "EOS", "BOS", "UNK", "PAD", "SEP", "CLS", "EOT", "BR", "HR", "TD",
    "TR", "TH", "LI", "UL", "OL", "DL", "DT", "DD", "EM", "H1", "H2", "H3", "H4", "H5", "H6", "DIV", "SPAN",
    "TABLE", "TBODY", "THEAD", "HTML", "HEAD", "BODY", "TITLE", "FONT", "CENTER", "IMG", "FORM", "INPUT", "PRE",
    "CODE", "STRONG", "SCRIPT", "STYLE", "META", "LINK", "NOBR", "SMALL", "BIG", "SUB", "SUP", "CAPTION", "IFRAME",
    "SELECT", "OPTION", "TEXTAREA", "BUTTON", "LABEL", "NAV", "HEADER", "FOOTER", "SECTION", "ARTICLE", "MAIN"
})
# Text that looks like program code: its braces are f-strings, format strings, sets and dicts, not unfilled
# variables. One marker is enough (a line starting with a keyword, a statement ending in ";" or "{", ".format(",
# an f-string, "=>", an assignment of a brace literal, a backtick).
CODE_LIKE = (
    r"(?m)^\s*(?:def |class |import |from [\w.]+ import |return\b|print\(|function\b|const |let |var |public |private "
    r"|#include|using namespace|SELECT\b|@\w)|[;{]\s*$|\.format\(|format!\(|\bf[\"']|=>|\w\s*=\s*\{|`"
)


def template_variables(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) that are not code and hold template variables, with
    ``variables``: each distinct one, in order of first occurrence (``{{ name }}`` written as ``{{name}}``)."""
    # Filtered in steps, cheapest first: the code test is the slow one, and only texts with a variable need it.
    found = (
        rows.filter(pl.col("text").str.contains(r"[{<]"))
        .filter(pl.col("text").str.contains(TEMPLATE_VARIABLE))
        .filter(~pl.col("text").str.contains(CODE_LIKE))
        .select("row", pl.col("text").str.extract_all(TEMPLATE_VARIABLE).alias("variable"))
    )
    return (
        found.explode("variable")
        .drop_nulls("variable")
        .with_columns(pl.col("variable").str.extract(r"([{$<].*)", 1).str.replace_all(" ", "", literal=True))
        .filter(~pl.col("variable").str.strip_chars("<>").is_in(list(NOT_VARIABLES)))
        .unique(["row", "variable"], keep="first", maintain_order=True)
        .group_by("row", maintain_order=True)
        .agg("variable")
        .rename({"variable": "variables"})
    )


# --- references to material the prompt does not hold (missing context) -------------------------------------------

# What a prompt can refer to as material it should contain.
_MATERIAL = (
    r"passages?|paragraphs?|texts?|articles?|excerpts?|sentences?|statements?|code|snippets?|programs?|functions?"
    r"|tables?|data(?:set)?|lists?|poems?|story|stories|e-?mails?|letters?|documents?|essays?|reviews?|tweets?"
    r"|quotes?|quotations?|conversations?|dialogues?|dialogs?|inputs?|words?|phrases?|questions?|equations?"
    r"|expressions?|strings?|numbers?|arrays?|json|html|sql|query|queries|scripts?|news|reports?|descriptions?"
    r"|transcripts?|lyrics|recipes?|speech(?:es)?|arguments?|claims?|headlines?|titles?|messages?|posts?|comments?"
    r"|items?|products?|names?|sequences?|series|examples?|options?|choices?|facts?|events?|situations?"
    r"|scenarios?|problems?|information|details|content|material|source|songs?|books?|movies?|films?"
)
# After "this", "the given", "the provided": only text-like material ("the given list" is a function's argument in
# "write a function to ... the given list", "this list" is the user's own in a chat).
_TEXT_MATERIAL = (
    r"passage|paragraph|text|article|excerpt|sentence|poem|essay|document|code(?: snippet)?|snippet|program|table"
    r"|tweet|review|e-?mail|transcript"
)
_ADJECTIVES = r"(?:[a-z-]+ ){0,2}"
# Forward references need material after them, backward ones before, "this ..." either.
FORWARD_REFERENCE = (
    rf"(?-u:\b)the following (?:{_ADJECTIVES})?(?:{_MATERIAL})(?-u:\b)|(?-u:\b)the following(?-u:\b)"
    rf"|(?-u:\b)the (?:{_ADJECTIVES})?(?:{_MATERIAL}) below(?-u:\b)|(?-u:\b)below (?:{_MATERIAL})(?-u:\b)"
)
BACKWARD_REFERENCE = (
    rf"(?-u:\b)the (?:{_ADJECTIVES})?(?:{_MATERIAL}) above(?-u:\b)|(?-u:\b)the above (?:{_MATERIAL})(?-u:\b)|(?-u:\b)the preceding (?:{_MATERIAL})(?-u:\b)"
)
EITHER_REFERENCE = (
    rf"(?-u:\b)(?:this|these|the given|the provided|the attached|the supplied) (?:{_ADJECTIVES})?(?:{_TEXT_MATERIAL})s?(?-u:\b)"
)
REFERENCE = rf"(?i)(?:{FORWARD_REFERENCE}|{BACKWARD_REFERENCE}|{EITHER_REFERENCE})"
# "the following" alone is a reference only when a punctuation mark, the end, or a preposition comes next
# ("translate the following:", "classify the following into ..."), not in "the following day".
_BARE_NEXT = r"^(?:\s*[:.,;?!]|\s*$|\s+(?:into|as|in|to|using|with|by|and|for|from|based|so|according|is|are)(?-u:\b))"
# Material after the reference: a colon, newline or opening quote with text after it, or enough words.
_MATERIAL_AFTER = "[:\\n\"\u201c`]\\s*\\S"
_WORD = r"\w[\w'’-]*"
# Material before the reference: a line of its own, or enough words.
_MATERIAL_BEFORE = r"\S\s*\n"


def missing_context(rows: pl.DataFrame, min_words: int) -> pl.DataFrame:
    """The rows of ``rows`` (columns ``row``, ``text``) whose first reference to material (``the following
    article``, ``the code below``, ``this passage``) has none where it points: no colon, newline or quote with text
    after a forward reference and fewer than ``min_words`` words after it; no line and fewer than ``min_words``
    words before a backward one; neither for ``this ...``. Columns ``reference`` (as written), ``start`` (its
    character offset), ``direction`` (``forward``, ``backward``, ``either``), ``words_before``, ``words_after``."""
    # The first reference's byte offset and text, then the bytes before and after it: one regex search per text
    # (a capture of the text around the reference, "^(.*?)(...)(.*)$", made the regex engine backtrack over every
    # position of every text: ten times slower).
    text = pl.col("text")
    at, reference = text.str.find(REFERENCE), text.str.extract(f"({REFERENCE})", 1)
    raw = text.cast(pl.Binary)
    parts = rows.filter(text.str.contains(REFERENCE)).select(
        "row",
        raw.bin.head(at).cast(pl.String).alias("before"),
        reference.alias("reference"),
        raw.bin.slice(at + reference.str.len_bytes()).cast(pl.String).alias("after"),
    )
    lower = pl.col("reference").str.to_lowercase()
    direction = (
        pl.when(lower.str.contains("following|below")).then(pl.lit("forward"))
        .when(lower.str.contains("above|preceding")).then(pl.lit("backward"))
        .otherwise(pl.lit("either"))
    )
    words_after, words_before = pl.col("after").str.count_matches(_WORD), pl.col("before").str.count_matches(_WORD)
    after = pl.col("after").str.contains(_MATERIAL_AFTER) | (words_after >= min_words)
    before = pl.col("before").str.contains(_MATERIAL_BEFORE) | (words_before >= min_words)
    missing = (
        pl.when(pl.col("direction") == "forward").then(~after)
        .when(pl.col("direction") == "backward").then(~before)
        .otherwise(~after & ~before)
    )
    return (
        parts.filter((lower != "the following") | pl.col("after").str.contains(_BARE_NEXT))
        .with_columns(direction.alias("direction"))
        .filter(missing)
        .select(
            "row", "reference", pl.col("before").str.len_chars().alias("start"), "direction",
            words_before.alias("words_before"), words_after.alias("words_after"),
        )
    )
