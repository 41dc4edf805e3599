"""Near duplicates on data made to show one behaviour each (issue 17): shared footers, chains."""

from __future__ import annotations

import random

import polars as pl
import pytest

import prep
from prep.config import Settings

pytestmark = pytest.mark.slow  # real datasets and hundreds of rows: CI runs them, the quick run skips them

ONE = Settings(models=("llama3-8b",), select=("DU002",))
FOOTER = ("This e-mail and any attachments are confidential and intended solely for the addressee. If you are not "
          "the intended recipient, please notify the sender immediately and delete it. Acme Corp, 1 Main Street, "
          "Springfield. Registered in England No. 123456.")
WORDS = ("account bill card charge contract data delivery device fee invoice line modem number order phone plan "
         "refund router service signal sim speed subscription transfer upgrade voicemail warranty").split()


def _emails(n: int, seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    prompts = [" ".join(rng.choice(WORDS) for _ in range(6)) + "\n\n" + FOOTER for _ in range(n)]
    completions = [" ".join(rng.choice(WORDS) for _ in range(4)) for _ in range(n)]
    return pl.DataFrame({"prompt": prompts, "completion": completions})


def test_a_shared_footer_does_not_make_e_mails_near_duplicates():
    for n in (150, 600):
        result = prep.lint(_emails(n), settings=ONE)
        assert not [f for f in result.findings if f.code == "DU002"], n


def test_a_real_copy_under_a_shared_footer_is_still_found():
    frame = _emails(150)
    copy = frame.row(7)
    frame = pl.concat([frame, pl.DataFrame({"prompt": [copy[0].replace("\n\n", " thanks\n\n")],
                                            "completion": [copy[1]]})])
    found = [f for f in prep.lint(frame, settings=ONE).findings if f.code == "DU002"]
    assert [(f.row, f.data["kept_row"]) for f in found] == [(150, 7)]
