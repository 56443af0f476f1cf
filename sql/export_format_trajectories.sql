-- export_format_trajectories: the pair rows of the relation `export_batch` (sql/export_batch.sql),
-- in output order, for NAT's TrajectoryCollection (built by pairs.py, one
-- trajectory per row, grouped per example). No parameters.
-- Rows: the pair query's columns (pairs.PAIR_COLUMNS), in that order.
SELECT
    run_id, example_id, turn_id, prompt, chosen_response, rejected_response,
    chosen_score, rejected_score, score_diff, reward, chosen_index, rejected_index,
    chosen_metadata, rejected_metadata, num_candidates, example_seq, turn_seq, pair_rank
FROM export_batch
ORDER BY position
