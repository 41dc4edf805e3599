"""Exceptions that end a run with a one-line message and exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PrepError(Exception):
    """A usage, configuration or input error: the CLI prints it on one line and exits with 2."""


class ConfigError(PrepError):
    """The configuration (file or flags) is invalid."""


class InputError(PrepError):
    """An input file is missing, unreadable or of an unsupported kind."""


class DependencyError(PrepError):
    """An optional or required package is not installed."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix for error messages, or '' when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
