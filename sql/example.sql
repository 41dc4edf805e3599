-- A worked example: from a table of support tickets to a fine-tuned model, all in SQL.
USE ROLE DATA_ENGINEER;
USE SCHEMA PREP_DB.PREP;

-- 1. Lint the table where it is (or any single SELECT returning prompt and completion).
CALL PREP_DB.PREP.PREP_LINT('SUPPORT_DB.PUBLIC.TICKETS', 'llama3.1-8b', {});
CALL PREP_DB.PREP.PREP_LINT(
    'SELECT request AS prompt, category AS completion FROM SUPPORT_DB.PUBLIC.TICKETS WHERE created_on > ''2024-01-01''',
    'llama3.1-8b', {'select': ['TK', 'DU', 'PI', 'LB']});
SELECT CODE, SEVERITY, ROW_INDEX, MESSAGE FROM PREP_FINDINGS
WHERE RUN_ID = (SELECT RUN_ID FROM PREP_RUNS ORDER BY CREATED_ON DESC LIMIT 1);

-- 2. Prepare: snapshot the rows, split them, and create SUPPORT_TRAIN, SUPPORT_VALIDATION, SUPPORT_EXCLUDED.
CALL PREP_DB.PREP.PREP_PREPARE('SUPPORT_DB.PUBLIC.TICKETS', 'SUPPORT', 'llama3.1-8b',
                               {'validation_fraction': 0.1, 'seed': 0, 'pii': 'drop', 'duplicates': 'keep-one'});
SELECT * FROM SUPPORT_EXCLUDED LIMIT 20;   -- every row left out, with its reasons

-- 3. Fine-tune on the prepared views; refused if the data has errors or does not fit the base model.
CALL PREP_DB.PREP.PREP_FINETUNE('SUPPORT', 'SUPPORT_CLASSIFIER', 'llama3.1-8b', {'max_epochs': 3});

-- 4. Follow the job (the final model name is DESCRIBE's "model" field), list or cancel jobs.
CALL PREP_DB.PREP.PREP_JOB_STATUS('<job id from step 3>');
CALL PREP_DB.PREP.PREP_JOBS_LIST();
-- CALL PREP_DB.PREP.PREP_JOB_CANCEL('<job id>');

-- 5. Use the model.
-- SELECT AI_COMPLETE('<final model name>', 'Classify this customer support ticket ...');
