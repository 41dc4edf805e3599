"""prep: lint and prepare prompt/completion data for Snowflake Cortex fine-tuning."""

__version__ = "0.1.0"  # before the imports: the reporters read it

from prep.api import count_tokens, lint, load, load_config
from prep.config import Settings
from prep.dataset import Source
from prep.engine.run import LintResult
from prep.errors import PrepError
from prep.finding import Finding, Severity
from prep.reporters import render

__all__ = [
    "Finding",
    "LintResult",
    "PrepError",
    "Settings",
    "Severity",
    "Source",
    "__version__",
    "count_tokens",
    "lint",
    "load",
    "load_config",
    "render",
]
