-- ingest/cleanup: drop the temp tables one ingest staged. No parameters.
DROP TABLE IF EXISTS temp.checked;
DROP TABLE IF EXISTS temp.stage;
DROP TABLE IF EXISTS temp.stage_raw;
