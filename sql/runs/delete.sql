-- runs/delete: remove one run and everything ingested with it (used by replace).
-- Parameters: $run_id. Three statements, run inside the caller's transaction.
DELETE FROM candidates WHERE run_id = $run_id;
DELETE FROM rejects WHERE run_id = $run_id;
DELETE FROM runs WHERE run_id = $run_id;
