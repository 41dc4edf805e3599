-- prep in Snowflake: one-time setup, run by an administrator BEFORE deploying the procedures
-- (`snow sql -f sql/setup.sql -c NAME`). Then deploy (`snow snowpark deploy --replace`, or PUT + sql/procedures.sql),
-- then the data engineer role runs sql/example.sql. Names: database PREP_DB, schema PREP_DB.PREP, stage
-- PREP_DB.PREP.PREP_STAGE; edit the role, the warehouse and the source table below to yours.

-- 1. Objects (a role that may create databases, e.g. SYSADMIN).
USE ROLE SYSADMIN;
CREATE DATABASE IF NOT EXISTS PREP_DB;
CREATE SCHEMA IF NOT EXISTS PREP_DB.PREP;

-- Where the procedures' code and tokenizer files live (tools/build_artifacts.py builds them; the deploy uploads them).
CREATE STAGE IF NOT EXISTS PREP_DB.PREP.PREP_STAGE;

-- The registry: lint and prepare runs, their findings, and the fine-tuning jobs started through prep. The
-- procedures also create these tables when missing (in the caller's current schema, or options.registry_schema).
CREATE TABLE IF NOT EXISTS PREP_DB.PREP.PREP_RUNS (
    RUN_ID VARCHAR, KIND VARCHAR, SOURCE VARCHAR, DATASET VARCHAR, BASE_MODEL VARCHAR, OPTIONS VARCHAR,
    SUMMARY VARCHAR, CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP()
);
CREATE TABLE IF NOT EXISTS PREP_DB.PREP.PREP_FINDINGS (
    RUN_ID VARCHAR, CODE VARCHAR, NAME VARCHAR, SEVERITY VARCHAR, SOURCE VARCHAR, ROW_INDEX NUMBER,
    FIELD VARCHAR, MESSAGE VARCHAR, DATA VARCHAR
);
CREATE TABLE IF NOT EXISTS PREP_DB.PREP.PREP_JOBS (
    JOB_ID VARCHAR, MODEL_NAME VARCHAR, FINAL_MODEL VARCHAR, BASE_MODEL VARCHAR, DATASET VARCHAR,
    DATASET_FINGERPRINT VARCHAR, RUN_ID VARCHAR, OPTIONS VARCHAR, FORCED BOOLEAN, STATUS VARCHAR,
    LAST_DESCRIBE VARCHAR, CREATED_ON TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(), UPDATED_ON TIMESTAMP_NTZ,
    BACKEND VARCHAR
);

-- 2. Grants to the role of the people who prepare data and fine-tune (DATA_ENGINEER here), by a role that may
-- grant them (SECURITYADMIN, and ACCOUNTADMIN for the SNOWFLAKE database roles). The procedures run with the
-- caller's rights (EXECUTE AS CALLER): they read only what the caller may read, and create snapshots and views
-- where the caller may create them.
USE ROLE ACCOUNTADMIN;
GRANT DATABASE ROLE SNOWFLAKE.CORTEX_USER TO ROLE DATA_ENGINEER;           -- FINETUNE and AI_COMPLETE
GRANT DATABASE ROLE SNOWFLAKE.PYPI_REPOSITORY_USER TO ROLE DATA_ENGINEER;  -- procedures with PyPI packages
GRANT USAGE ON WAREHOUSE PREP_WH TO ROLE DATA_ENGINEER;                    -- your warehouse
GRANT USAGE ON DATABASE PREP_DB TO ROLE DATA_ENGINEER;
GRANT USAGE ON SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;
GRANT READ ON STAGE PREP_DB.PREP.PREP_STAGE TO ROLE DATA_ENGINEER;
GRANT CREATE TABLE, CREATE VIEW ON SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;  -- snapshots, views, registry
GRANT CREATE MODEL ON SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;               -- the fine-tuned models
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;
GRANT SELECT, INSERT, UPDATE ON FUTURE TABLES IN SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;
-- Procedures and UDFs do not exist yet: a future grant covers them when the deploy creates them, and again
-- whenever it re-creates them (sql/procedures.sql also keeps grants with COPY GRANTS).
GRANT USAGE ON FUTURE PROCEDURES IN SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;
GRANT USAGE ON FUTURE FUNCTIONS IN SCHEMA PREP_DB.PREP TO ROLE DATA_ENGINEER;
-- The data to lint and prepare (your source).
GRANT USAGE ON DATABASE SUPPORT_DB TO ROLE DATA_ENGINEER;
GRANT USAGE ON SCHEMA SUPPORT_DB.PUBLIC TO ROLE DATA_ENGINEER;
GRANT SELECT ON TABLE SUPPORT_DB.PUBLIC.TICKETS TO ROLE DATA_ENGINEER;
