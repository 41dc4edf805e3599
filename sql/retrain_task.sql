-- prep in Snowflake: retrain on a schedule. Each run of the task is one step of PREP_RETRAIN's state machine: it
-- updates the use case's jobs, evaluates those that finished (against the current model and the base) and
-- promotes one that beats the current model, then, if no job is training, prepares a fresh snapshot of the source
-- and starts the next version. Run it as the data engineer role once the loop of sql/example.sql works by hand.
-- Tasks run as their owner: that role needs EXECUTE TASK (granted by ACCOUNTADMIN) and what sql/setup.sql grants.
USE ROLE DATA_ENGINEER;
USE SCHEMA PREP_DB.PREP;

CREATE OR REPLACE TASK PREP_DB.PREP.PREP_RETRAIN_SUPPORT
  WAREHOUSE = PREP_WH
  SCHEDULE = 'USING CRON 0 3 * * 1 UTC'   -- Mondays 03:00 UTC: each run evaluates last week's job, starts the next
  COMMENT = 'prep: retrain SUPPORT from the labelled tickets'
AS
  CALL PREP_DB.PREP.PREP_RETRAIN(
    'PREP_DB.PREP.TICKETS_LABELLED', 'SUPPORT', 'SUPPORT', 'llama3.1-8b',
    {'prepare': {'validation_fraction': 0.1, 'seed': 0}, 'finetune': {'max_epochs': 3},
     'promote': 'if_better', 'metric': 'macro_f1'});

ALTER TASK PREP_DB.PREP.PREP_RETRAIN_SUPPORT RESUME;

-- Each step is recorded: what it did, newest first.
SELECT CREATED_ON, SUMMARY FROM PREP_DB.PREP.PREP_RUNS WHERE KIND = 'retrain' ORDER BY CREATED_ON DESC LIMIT 10;
-- Run one step now, or stop the schedule:
-- EXECUTE TASK PREP_DB.PREP.PREP_RETRAIN_SUPPORT;
-- ALTER TASK PREP_DB.PREP.PREP_RETRAIN_SUPPORT SUSPEND;
