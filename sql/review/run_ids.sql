-- review/run_ids: the store's runs in ingest order (the pair list's run filter).
-- Parameters: $runs (VARCHAR[] or NULL = every run).
-- Rows: run_id.
SELECT run_id
FROM runs
WHERE $runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id)
ORDER BY run_seq
