-- export_runs: the runs an export selected, with how many of its pairs each
-- contributed (a pair belongs to its chosen candidate's run). Reads `runs` and
-- the temp table `export_rows`.
-- Parameters: $runs (VARCHAR[] or NULL = every run).
-- Rows: run_id, source_format, source_path, source_sha256, meta (JSON text),
-- pairs; in ingest order.
SELECT
    r.run_id,
    r.source_format,
    r.source_path,
    r.source_sha256,
    CAST(r.meta AS VARCHAR) AS meta,
    count(e.run_id) AS pairs
FROM runs AS r
LEFT JOIN export_rows AS e ON e.run_id = r.run_id
WHERE $runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), r.run_id)
GROUP BY r.run_id, r.run_seq, r.source_format, r.source_path, r.source_sha256, r.meta
ORDER BY r.run_seq
