-- export/batch_candidates: every candidate the pairs of the relation
-- `export_batch` (sql/export/batch.sql) name, once each, for building NAT's
-- trajectories (sql/export/format_trajectories.sql names them by seq).
-- No parameters.
-- Rows: seq, run_id, example_id, turn_id, prompt (JSON text), response,
-- metadata (JSON text or NULL), candidate_index, score. Unordered.
SELECT
    seq, run_id, example_id, turn_id, CAST(prompt AS VARCHAR) AS prompt, response,
    CAST(metadata AS VARCHAR) AS metadata, candidate_index, score
FROM candidates
WHERE seq IN (SELECT chosen_seq FROM export_batch UNION SELECT rejected_seq FROM export_batch)
