import io

import prep
from prep.progress import Progress
from tests.conftest import SAMPLE


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_shows_stages_on_a_terminal_and_clears_its_line():
    stream = Tty()
    bar = Progress(stream)
    prep.lint(SAMPLE, models=["llama3-8b", "mistral-7b"], progress=bar)
    bar.close()
    text = stream.getvalue()
    assert "tokenizing" in text and "(llama3)" in text and "(mistral-v1)" in text
    assert "TK001 prompt-over-budget" in text
    assert text.endswith("\r")


def test_progress_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    bar = Progress(stream)
    bar("stage")
    bar.close()
    assert stream.getvalue() == ""
