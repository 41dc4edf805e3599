-- A worked example: from a table of unlabelled support tickets to a fine-tuned model in production, all in SQL, in
-- the order the Cortex quickstart runs it: label with a large model, lint and prepare, fine-tune a small one,
-- evaluate it against its base model on held-out rows, promote it, and roll back if needed. Run it top to bottom
-- as the data engineer role, after sql/setup.sql, the deploy and sql/cost.sql (tests/test_snowflake_walkthrough.py
-- runs it on fakesnow, each CALL through its handler). Edit the names (role, warehouse, tables, models) to yours.
USE ROLE DATA_ENGINEER;
USE WAREHOUSE PREP_WH;
USE SCHEMA PREP_DB.PREP;

-- 1. Label: a large model picks one label per ticket (AI_COMPLETE over the whole table in one statement). Answers
-- are normalised to the label set; a ticket whose answer is not in it is kept with a NULL completion, never dropped.
CALL PREP_DB.PREP.PREP_LABEL('SUPPORT_DB.PUBLIC.TICKETS',
                             'Classify this customer support ticket by its main problem.',
                             ['Roaming fees', 'Slow data speed', 'Lost phone'], 'llama3.1-70b',
                             {'text_col': 'REQUEST', 'output': 'PREP_DB.PREP.TICKETS_LABELLED'});
SELECT RAW_ANSWER, COUNT(*) FROM PREP_DB.PREP.TICKETS_LABELLED WHERE NOT IN_LABEL_SET GROUP BY RAW_ANSWER;

-- 2. Lint the labelled rows where they are (or any single SELECT returning prompt and completion).
CALL PREP_DB.PREP.PREP_LINT('PREP_DB.PREP.TICKETS_LABELLED', 'llama3.1-8b', {});
SELECT CODE, SEVERITY, ROW_INDEX, MESSAGE FROM PREP_DB.PREP.PREP_FINDINGS
WHERE RUN_ID = (SELECT RUN_ID FROM PREP_DB.PREP.PREP_RUNS ORDER BY CREATED_ON DESC LIMIT 1);

-- 3. Prepare: an immutable snapshot of the rows, its split, and the views SUPPORT_TRAIN, SUPPORT_VALIDATION and
-- SUPPORT_EXCLUDED (the latest run's; each run also keeps its own, which a fine-tuning job trains on). Rows
-- without a label are excluded here (SC002), with their reason.
CALL PREP_DB.PREP.PREP_PREPARE('PREP_DB.PREP.TICKETS_LABELLED', 'SUPPORT', 'llama3.1-8b',
                               {'validation_fraction': 0.1, 'seed': 0, 'pii': 'drop', 'duplicates': 'keep-one'});
SELECT * FROM PREP_DB.PREP.SUPPORT_EXCLUDED LIMIT 20;   -- every row left out, with its reasons

-- 4. Fine-tune on the prepared views; refused if the data has errors, does not fit the base model, or changed.
-- 'SUPPORT' is the use case: the model is asked for as SUPPORT_V1, then SUPPORT_V2, ... (the next free version).
CALL PREP_DB.PREP.PREP_FINETUNE('SUPPORT', 'SUPPORT', 'llama3.1-8b', {'max_epochs': 3});
SET JOB_ID = (SELECT $1:job_id::VARCHAR FROM TABLE(RESULT_SCAN(LAST_QUERY_ID())));

-- 5. Follow the job (the final model name is DESCRIBE's "model" field), list or cancel jobs.
CALL PREP_DB.PREP.PREP_JOB_STATUS($JOB_ID, {});
CALL PREP_DB.PREP.PREP_JOBS_LIST({});
-- CALL PREP_DB.PREP.PREP_JOB_CANCEL($JOB_ID, {});

-- 6. Once the status is SUCCESS: the tuned model against its base on the validation rows, every answer kept in
-- PREP_PREDICTIONS, the metrics in PREP_EVALS (accuracy, macro-F1, per label, exact match, ROUGE-L, BLEU, chrF,
-- tokens, credits per correct answer), with a judge model's 1-5 score beside each answer.
CALL PREP_DB.PREP.PREP_EVALUATE('SUPPORT', [{'job_id': $JOB_ID}, 'llama3.1-8b'],
                                {'judge': {'model': 'llama3.1-70b'}});
SELECT MODEL, ROLE, PARSE_JSON(METRICS):accuracy::FLOAT AS ACCURACY, PARSE_JSON(METRICS):macro_f1::FLOAT AS MACRO_F1,
       PARSE_JSON(METRICS):credits_per_correct::FLOAT AS CREDITS_PER_CORRECT
FROM PREP_DB.PREP.PREP_EVALS ORDER BY CREATED_ON DESC LIMIT 10;

-- 7. Promote: the application reads its model from PREP_CURRENT_MODELS. With require_better, only a model whose
-- evaluation beats the current one on that metric is promoted (the first one has nothing to beat).
CALL PREP_DB.PREP.PREP_PROMOTE('SUPPORT', $JOB_ID, {'require_better': 'accuracy'});
SELECT USE_CASE, MODEL, VERSION, SINCE FROM PREP_DB.PREP.PREP_CURRENT_MODELS;
-- In the application: SELECT AI_COMPLETE((SELECT MODEL FROM PREP_DB.PREP.PREP_CURRENT_MODELS
--                                         WHERE USE_CASE = 'PREP_DB.PREP.SUPPORT'), '<ticket text>');
-- Roll back to the model that was current before (after a second promotion):
-- CALL PREP_DB.PREP.PREP_ROLLBACK('SUPPORT', {});

-- 8. What it cost (sql/cost.sql's views), and tuned models nobody called in 30 days.
SELECT * FROM PREP_DB.PREP.PREP_MODEL_COSTS;
CALL PREP_DB.PREP.PREP_UNUSED_MODELS(30, {});
