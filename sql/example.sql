-- A worked example: from a table of support tickets to a fine-tuned model, all in SQL. Run it top to bottom as the
-- data engineer role, after sql/setup.sql and the deploy (tests/test_snowflake_walkthrough.py runs it on fakesnow,
-- each CALL through its handler). Edit the names (role, warehouse, source table, model) to yours.
USE ROLE DATA_ENGINEER;
USE WAREHOUSE PREP_WH;
USE SCHEMA PREP_DB.PREP;

-- 1. Lint the table where it is (or any single SELECT returning prompt and completion).
CALL PREP_DB.PREP.PREP_LINT('SUPPORT_DB.PUBLIC.TICKETS', 'llama3.1-8b', {});
CALL PREP_DB.PREP.PREP_LINT(
    'SELECT request AS prompt, category AS completion FROM SUPPORT_DB.PUBLIC.TICKETS WHERE ticket_id > 0',
    'llama3.1-8b', {'select': ['TK', 'DU', 'PI', 'LB']});
SELECT CODE, SEVERITY, ROW_INDEX, MESSAGE FROM PREP_DB.PREP.PREP_FINDINGS
WHERE RUN_ID = (SELECT RUN_ID FROM PREP_DB.PREP.PREP_RUNS ORDER BY CREATED_ON DESC LIMIT 1);

-- 2. Prepare: an immutable snapshot of the rows, its split, and the views SUPPORT_TRAIN, SUPPORT_VALIDATION and
-- SUPPORT_EXCLUDED (the latest run's; each run also keeps its own, which a fine-tuning job trains on).
CALL PREP_DB.PREP.PREP_PREPARE('SELECT request AS prompt, category AS completion FROM SUPPORT_DB.PUBLIC.TICKETS',
                               'SUPPORT', 'llama3.1-8b',
                               {'validation_fraction': 0.1, 'seed': 0, 'pii': 'drop', 'duplicates': 'keep-one'});
SELECT * FROM PREP_DB.PREP.SUPPORT_EXCLUDED LIMIT 20;   -- every row left out, with its reasons

-- 3. Fine-tune on the prepared views; refused if the data has errors, does not fit the base model, or changed.
CALL PREP_DB.PREP.PREP_FINETUNE('SUPPORT', 'SUPPORT_CLASSIFIER', 'llama3.1-8b', {'max_epochs': 3});
SET JOB_ID = (SELECT $1:job_id::VARCHAR FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())));

-- 4. Follow the job (the final model name is DESCRIBE's "model" field), list or cancel jobs.
CALL PREP_DB.PREP.PREP_JOB_STATUS($JOB_ID, {});
CALL PREP_DB.PREP.PREP_JOBS_LIST({});
-- CALL PREP_DB.PREP.PREP_JOB_CANCEL($JOB_ID, {});

-- 5. Use the model, once the status is SUCCESS:
-- SELECT AI_COMPLETE('<the "model" field of step 4>', 'Classify this customer support ticket ...');
