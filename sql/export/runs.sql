-- export/runs: the runs an export selected, with how many of its pairs each
-- contributed (a pair belongs to its chosen candidate's run). Reads `runs`,
-- `candidates` and the temp table `export_rows`.
-- Parameters: $runs (VARCHAR[] or NULL = every run).
-- Rows: run_id, source_format, source_path, source_sha256, meta (JSON text),
-- pairs; in ingest order.
WITH run_pairs AS (
    SELECT c.run_id, count(*) AS pairs
    FROM export_rows AS e
    JOIN candidates AS c ON c.seq = e.chosen_seq
    GROUP BY c.run_id
)
SELECT
    r.run_id,
    r.source_format,
    r.source_path,
    r.source_sha256,
    CAST(r.meta AS VARCHAR) AS meta,
    coalesce(p.pairs, 0) AS pairs
FROM runs AS r
LEFT JOIN run_pairs AS p ON p.run_id = r.run_id
WHERE $runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), r.run_id)
ORDER BY r.run_seq
