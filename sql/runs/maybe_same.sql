-- runs/maybe_same: whether an ingest may find its run already in the store, so
-- that it should know the source's digest before parsing the source.
-- Parameters: $run_id (NULL: the id is the digest, not known yet), $source_path.
-- Rows: one, `maybe` BOOLEAN: a run has this id, or came from this path.
SELECT count(*) > 0 AS maybe
FROM runs
WHERE run_id = $run_id OR source_path = $source_path;
