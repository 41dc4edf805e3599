"""Exceptions that end a run with a one-line message and exit code 2."""

from __future__ import annotations


class PrepError(Exception):
    """A usage, configuration or input error: the CLI prints it on one line and exits with 2."""


class ConfigError(PrepError):
    """The configuration (file or flags) is invalid."""


class InputError(PrepError):
    """An input file is missing, unreadable or of an unsupported kind."""


class DependencyError(PrepError):
    """An optional or required package is not installed."""
