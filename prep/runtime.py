"""Where prep runs: Snowflake's Python runtime announces itself with ``sys._xoptions["snowflake_import_directory"]``
(the folder holding a procedure's IMPORTS). There, no process may be created (the runtime does not support
``multiprocessing``), so prep detects it itself instead of relying on a caller to set ``PREP_PROCESSES``."""

from __future__ import annotations

import os
import sys


def import_directory() -> str | None:
    """The Snowflake import directory, or None outside Snowflake."""
    return getattr(sys, "_xoptions", {}).get("snowflake_import_directory")


def in_snowflake() -> bool:
    return import_directory() is not None


def worker_processes(default: int = 2) -> int:
    """How many processes PII detection may use: 1 inside Snowflake, whatever ``PREP_PROCESSES`` says; else
    ``PREP_PROCESSES``, or ``default`` capped at the CPU count."""
    if in_snowflake():
        return 1
    configured = os.environ.get("PREP_PROCESSES")
    if configured and configured.strip().isdigit() and int(configured) > 0:
        return int(configured)
    return min(default, os.cpu_count() or 1)
