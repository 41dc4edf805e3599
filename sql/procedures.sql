-- prep in Snowflake: one procedure per handler in procs/. Run after sql/setup.sql, once the stage holds
-- prep_code.zip and the two tokenizer files (python tools/build_artifacts.py, then `snow snowpark deploy --replace`
-- or PUT them into @PREP_DB.PREP.PREP_STAGE).
--
-- Packages come from PyPI through Snowflake's shared artifact repository (polars, tiktoken, presidio-analyzer and
-- datasketch are not confirmed in the Anaconda channel); the tokenizer files are IMPORTS, found by
-- prep.tokenizers in the import directory. Every procedure runs with the caller's rights.

-- Lint a table, view or single SELECT; findings to PREP_FINDINGS, summary to PREP_RUNS.
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_LINT(SOURCE VARCHAR, BASE_MODEL VARCHAR, OPTIONS VARIANT)
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.lint.run'
EXECUTE AS CALLER;

-- Snapshot the rows into <DATASET>_ROWS and create <DATASET>_TRAIN, _VALIDATION, _EXCLUDED.
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_PREPARE(SOURCE VARCHAR, DATASET VARCHAR, BASE_MODEL VARCHAR, OPTIONS VARIANT)
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.prepare.run'
EXECUTE AS CALLER;

-- Start FINETUNE on a prepared dataset without errors; record the job in PREP_JOBS.
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_FINETUNE(DATASET VARCHAR, MODEL_NAME VARCHAR, BASE_MODEL VARCHAR, OPTIONS VARIANT)
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.finetune.run'
EXECUTE AS CALLER;

-- DESCRIBE a job and update PREP_JOBS.
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_JOB_STATUS(JOB_ID VARCHAR)
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.jobs.status'
EXECUTE AS CALLER;

-- CANCEL a job and update PREP_JOBS.
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_JOB_CANCEL(JOB_ID VARCHAR)
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.jobs.cancel'
EXECUTE AS CALLER;

-- The jobs in PREP_JOBS, with live status from FINETUNE('SHOW').
CREATE OR REPLACE PROCEDURE PREP_DB.PREP.PREP_JOBS_LIST()
RETURNS VARIANT
LANGUAGE PYTHON
RUNTIME_VERSION = '3.11'
ARTIFACT_REPOSITORY = snowflake.snowpark.pypi_shared_repository
PACKAGES = ('snowflake-snowpark-python', 'polars', 'numpy', 'tiktoken', 'sentencepiece', 'datasketch', 'ftfy', 'click', 'sqlglot', 'presidio-analyzer', 'spacy')
IMPORTS = ('@PREP_DB.PREP.PREP_STAGE/prep_code.zip', '@PREP_DB.PREP.PREP_STAGE/llama3-tokenizer.model',
           '@PREP_DB.PREP.PREP_STAGE/mistral-v1-tokenizer.model')
HANDLER = 'procs.jobs.list'
EXECUTE AS CALLER;
