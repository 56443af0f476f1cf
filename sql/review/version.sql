-- review/version: a cheap fingerprint of what the review page caches, read at every request.
-- No parameters.
-- Rows: one row: runs (count), max_run_seq, candidates (sum of runs.n_candidates), decisions (log
-- entries; the log is append-only, so any decision changes it), rules (ids of the exclude and flip
-- rules in force, in log order). A new or replaced run changes runs, max_run_seq or candidates.
SELECT
    (SELECT count(*) FROM runs) AS runs,
    (SELECT coalesce(max(run_seq), 0) FROM runs) AS max_run_seq,
    (SELECT coalesce(sum(n_candidates), 0) FROM runs) AS candidates,
    (SELECT count(*) FROM decisions) AS decisions,
    (SELECT coalesce(list(decision_id ORDER BY decision_id), [])
     FROM active_decisions
     WHERE target = 'rule' AND action IN ('exclude', 'flip')) AS rules
