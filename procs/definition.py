"""The one definition of prep's stored procedures: names, handlers, signatures, packages and imports.

``snowflake.yml`` (the Snowflake CLI project) and ``sql/procedures.sql`` (the same procedures for a deployment
without the CLI) are generated from this module by ``python tools/generate_snowflake.py``; ``--check`` tells
whether they are stale, and tests/test_deploy.py renders the CLI's deploy from the generated project. Edit this
file, never the generated ones.

Pure data and small helpers, standard library only: it travels inside prep_code.zip with the handlers.
"""

from __future__ import annotations

from dataclasses import dataclass

DATABASE = "PREP_DB"
SCHEMA = "PREP"
STAGE_NAME = "PREP_STAGE"
STAGE = f"{DATABASE}.{SCHEMA}.{STAGE_NAME}"

RUNTIME_VERSION = "3.11"
RETURNS = "VARIANT"

# Packages come from PyPI through Snowflake's shared artifact repository: tiktoken, polars and presidio-analyzer are
# not confirmed in Snowflake's Anaconda channel, and these exact versions are what the tests run against.
# ARTIFACT_REPOSITORY applies to the whole PACKAGES clause, so Snowpark is listed too.
ARTIFACT_REPOSITORY = "snowflake.snowpark.pypi_shared_repository"

# Every package the handlers import at run time (directly, in prep/, rules/ and procs/), pinned exactly; nothing
# else: not click (prep/cli.py only), not datasketch (prep.minhash draws its affine32 permutations itself; the
# tests compare with datasketch). Their own dependencies (polars-runtime-32, which polars pins exactly; spaCy's
# typer and click) are resolved by the repository. Each pin satisfies pyproject.toml's bounds and is what the
# handlers import (tests/test_deploy.py), and has a CPython 3.11 wheel for manylinux x86_64 and aarch64
# (tools/check_wheels.py, which also checks the pins against each other's requirements).
PACKAGES = (
    "snowflake-snowpark-python==1.53.0",
    "polars==2.1.0",
    "numpy==2.3.5",
    "tiktoken==0.14.0",
    "sentencepiece==0.2.3",
    "ftfy==6.3.1",
    "sqlglot==30.22.0",
    "presidio-analyzer==2.2.362",
    "spacy==3.8.14",
    "phonenumbers==9.0.43",
    "tldextract==5.4.0",
    # the vectorized UDFs' batches (procs/udfs.py); Snowpark's pandas extra asks for pandas < 3
    "pandas==2.3.3",
    # results streamed in Arrow batches (procs/common.py:read_frame); the connector's pandas extra asks for >= 14
    "pyarrow==26.0.1",
    # BLEU and chrF of PREP_EVALUATE (prep/evaluate.py), a pure-Python wheel; rouge-score, for ROUGE-L, has no
    # wheel on PyPI, so it is not pinned: without it PREP_EVALUATE reports rouge_l as unavailable
    "sacrebleu==2.6.0",
)

# What tools/build_artifacts.py writes into BUILD_DIR and every procedure imports from the stage: the code, and the
# tokenizer files prep.tokenizers finds in the import directory (prep.tokenizers.BUNDLED_FILES).
BUILD_DIR = "build/snowflake"
CODE_ZIP = "prep_code.zip"
TOKENIZER_FILES = ("llama3-tokenizer.model", "mistral-v1-tokenizer.model")
IMPORTS = (CODE_ZIP, *TOKENIZER_FILES)


@dataclass(frozen=True)
class Procedure:
    name: str
    handler: str  # module.function, in prep_code.zip
    args: tuple[tuple[str, str], ...]  # (name, SQL type), in the handler's parameter order after ``session``
    comment: str  # one line: what it does
    returns: str = RETURNS

    @property
    def qualified_name(self) -> str:
        return f"{DATABASE}.{SCHEMA}.{self.name}"


PROCEDURES = (
    Procedure(
        "PREP_LINT", "prep.procs.lint.run",
        (("source", "VARCHAR"), ("base_model", "VARCHAR"), ("options", "VARIANT")),
        "Lint a table, view or single SELECT; findings to PREP_FINDINGS, summary to PREP_RUNS.",
    ),
    Procedure(
        "PREP_PREPARE", "prep.procs.prepare.run",
        (("source", "VARCHAR"), ("dataset", "VARCHAR"), ("base_model", "VARCHAR"), ("options", "VARIANT")),
        "Snapshot the rows into <DATASET>_ROWS_<run> and create the run's views <DATASET>_TRAIN_<run>, _VALIDATION_<run>, _EXCLUDED_<run>.",
    ),
    Procedure(
        "PREP_FINETUNE", "prep.procs.finetune.run",
        (("dataset", "VARCHAR"), ("model_name", "VARCHAR"), ("base_model", "VARCHAR"), ("options", "VARIANT")),
        "Start FINETUNE on a prepared dataset without errors; record the job in PREP_JOBS.",
    ),
    Procedure(
        "PREP_JOB_STATUS", "prep.procs.jobs.status",
        (("job_id", "VARCHAR"), ("options", "VARIANT")),
        "DESCRIBE a job and update PREP_JOBS.",
    ),
    Procedure(
        "PREP_JOB_CANCEL", "prep.procs.jobs.cancel",
        (("job_id", "VARCHAR"), ("options", "VARIANT")),
        "CANCEL a job and update PREP_JOBS.",
    ),
    Procedure(
        "PREP_JOBS_LIST", "prep.procs.jobs.list",
        (("options", "VARIANT"),),
        "The jobs in PREP_JOBS, with live status from FINETUNE('SHOW').",
    ),
    Procedure(
        "PREP_LABEL", "prep.procs.label.run",
        (("source", "VARCHAR"), ("instruction", "VARCHAR"), ("labels", "VARIANT"), ("model", "VARCHAR"),
         ("options", "VARIANT")),
        "Label rows with AI_COMPLETE, constrained to a label set, into a table PREP_PREPARE takes; no row dropped.",
    ),
    Procedure(
        "PREP_EVALUATE", "prep.procs.evaluate.run",
        (("dataset", "VARCHAR"), ("models", "VARIANT"), ("options", "VARIANT")),
        "Run the validation view through each model with AI_COMPLETE; answers to PREP_PREDICTIONS, metrics to PREP_EVALS.",
    ),
    Procedure(
        "PREP_PROMOTE", "prep.procs.models.promote",
        (("use_case", "VARCHAR"), ("model", "VARCHAR"), ("options", "VARIANT")),
        "Make a fine-tuned model the current one of its use case (PREP_MODELS, view PREP_CURRENT_MODELS).",
    ),
    Procedure(
        "PREP_ROLLBACK", "prep.procs.models.rollback",
        (("use_case", "VARCHAR"), ("options", "VARIANT")),
        "Make the model that was current before the current one current again.",
    ),
    Procedure(
        "PREP_RETRAIN", "prep.procs.retrain.run",
        (("source", "VARCHAR"), ("dataset", "VARCHAR"), ("use_case", "VARCHAR"), ("base_model", "VARCHAR"),
         ("options", "VARIANT")),
        "One scheduled retraining step: update jobs, evaluate finished ones, promote if better, start the next.",
    ),
    Procedure(
        "PREP_UNUSED_MODELS", "prep.procs.models.unused",
        (("days", "NUMBER"), ("options", "VARIANT")),
        "Fine-tuned models with no inference in the last DAYS days (view PREP_MODEL_USAGE of sql/cost.sql).",
    ),
)


@dataclass(frozen=True)
class Function:
    """A vectorized Python UDF: same code zip, tokenizer imports and packages as the procedures."""

    name: str
    handler: str  # module.function in prep_code.zip, marked vectorized (procs/udfs.py)
    args: tuple[tuple[str, str], ...]  # (name, SQL type): the batch's columns 0, 1, ... in this order
    returns: str
    comment: str

    @property
    def qualified_name(self) -> str:
        return f"{DATABASE}.{SCHEMA}.{self.name}"


FUNCTIONS = (
    Function(
        "PREP_TOKEN_COUNT", "prep.procs.udfs.token_count",
        (("base_model", "VARCHAR"), ("text", "VARCHAR")), "NUMBER",
        "Exact tokens of TEXT for BASE_MODEL's tokenizer (raw text, no BOS/EOS), offline: equal to prep.count_tokens.",
    ),
    Function(
        "PREP_PII", "prep.procs.udfs.pii", (("text", "VARCHAR"),), "ARRAY",
        "The PII prep lint finds in TEXT by default: [{entity, start, end, score, masked}], masked, never values.",
    ),
    Function(
        "PREP_TEXT_FLAGS", "prep.procs.udfs.text_flags", (("text", "VARCHAR"),), "OBJECT",
        "Encoding damage (quoted-printable and HTML entity residue too) and template tokens in TEXT, as prep lint's "
        "text rules count them.",
    ),
)


def stage_imports() -> tuple[str, ...]:
    """The IMPORTS of every procedure: the build files, on the stage."""
    return tuple(f"@{STAGE}/{name}" for name in IMPORTS)


def artifact_paths() -> tuple[str, ...]:
    """The build files, relative to the project root (the Snowflake CLI's ``artifacts``)."""
    return tuple(f"{BUILD_DIR}/{name}" for name in IMPORTS)


def package_pins() -> dict[str, str]:
    """``{name: version}`` of :data:`PACKAGES`."""
    pins = {}
    for pin in PACKAGES:
        name, _, version = pin.partition("==")
        pins[name] = version
    return pins
