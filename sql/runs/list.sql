-- runs/list: every run in ingest order. No parameters.
-- Rows: run_id, run_seq, source_format, source_path, source_sha256,
-- ingested_at, meta, n_items, n_steps, n_candidates, n_rejects.
SELECT run_id, run_seq, source_format, source_path, source_sha256, ingested_at,
       meta, n_items, n_steps, n_candidates, n_rejects
FROM runs
ORDER BY run_seq;
