-- ingest/cleanup: drop the temp tables one ingest staged. No parameters.
DROP TABLE IF EXISTS temp.checked;
DROP TABLE IF EXISTS temp.stage;
DROP TABLE IF EXISTS temp.stage_raw;
DROP TABLE IF EXISTS temp.rollout_items;
DROP TABLE IF EXISTS temp.rollout_score_file;
DROP TABLE IF EXISTS temp.rollout_scores;
DROP TABLE IF EXISTS temp.rollout_rows;
DROP TABLE IF EXISTS temp.rollout_reasons;
