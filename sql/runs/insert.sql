-- runs/insert: record one ingested run.
-- Parameters: $run_id, $source_format, $source_path, $source_sha256, $meta (JSON
-- text), $n_items, $n_steps, $n_candidates, $n_rejects, $version.
-- run_seq continues the store's ingest order.
INSERT INTO runs
SELECT
    $run_id, (SELECT coalesce(max(run_seq), 0) + 1 FROM runs), $source_format,
    $source_path, $source_sha256, now(), CAST($meta AS JSON),
    $n_items, $n_steps, $n_candidates, $n_rejects, $version;
