"""The fast normalisation equals the plain definition: NFC, whitespace runs to one space, ends stripped."""

import re
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prep.measures.text import normalized

WHITESPACE = st.sampled_from([" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\x0b", "\x0c", "\x1f", "\x85"])
PIECES = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), WHITESPACE)


# Unicode White_Space, which is what polars' (Rust regex) \s means; Python's \s also takes \x1c-\x1f.
WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"


def plain(text: str) -> str:
    collapsed = re.sub(f"[{re.escape(WHITE_SPACE)}]+", " ", unicodedata.normalize("NFC", text))
    return collapsed.strip(WHITE_SPACE)


@pytest.mark.slow  # several seconds; CI runs it
@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=12).map("".join), max_size=20))
def test_fast_normalisation_equals_plain_definition(texts):
    got = pl.Series(texts, dtype=pl.String).to_frame("t").select(normalized(pl.col("t")))["t"].to_list()
    assert got == [plain(t) for t in texts]
