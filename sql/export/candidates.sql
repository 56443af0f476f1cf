-- export/candidates: every candidate of the selected runs, one row each, in
-- arrival order: the interchange table other engines read (`prefstore
-- export-candidates`; the pair query of prefstore.sql_for() reads these columns).
-- Parameters: $runs (VARCHAR[] or NULL = every run).
-- Rows: run_id, example_id, turn_id, turn_index, candidate_index, step_name,
-- prompt (JSON text: a JSON string or a JSON list of messages), response,
-- score, step_uuid, metadata (JSON text or NULL), item_pos, step_pos, seq,
-- base_example_id (example_id without a `nat eval --reps` suffix).
-- prompt and metadata stay JSON: in Parquet that is a UTF-8 string annotated
-- JSON, which Spark and Arrow read as a string and DuckDB as JSON. seq
-- (store-wide arrival), item_pos and step_pos are the positions that define
-- output order. Order: seq.
SELECT
    run_id, example_id, turn_id, turn_index, candidate_index, step_name,
    prompt, response, score, step_uuid, metadata,
    item_pos, step_pos, seq, base_example_id
FROM candidates
WHERE $runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id)
ORDER BY seq;
