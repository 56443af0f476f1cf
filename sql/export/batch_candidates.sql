-- export/batch_candidates: every candidate the pairs of `export_rows` at positions
-- $first..$last name, once each, for building NAT's trajectories
-- (sql/export/format_trajectories.sql names them by seq). The seqs come straight
-- from the narrow rows: no join of sql/export/batch.sql is needed for them.
-- Parameters: $first, $last (positions, inclusive: the batch's).
-- Rows: seq, run_id, example_id, turn_id, prompt (JSON text), response,
-- metadata (JSON text or NULL), candidate_index, score. Unordered.
WITH batch AS (
    SELECT chosen_seq, rejected_seq
    FROM export_rows
    WHERE position BETWEEN $first AND $last
)
SELECT
    seq, run_id, example_id, turn_id, CAST(prompt AS VARCHAR) AS prompt, response,
    CAST(metadata AS VARCHAR) AS metadata, candidate_index, score
FROM candidates
WHERE seq IN (SELECT chosen_seq FROM batch UNION SELECT rejected_seq FROM batch)
