-- export/format_trajectories: the pairs of the relation `export_batch`
-- (sql/export/batch.sql) for NAT's trajectories, narrow, in output order; the
-- texts come once per candidate from sql/export/batch_candidates.sql, and
-- trajectories.py builds one trajectory per row, grouped per example (the
-- `trajectories` export format, store.trajectories(), the NAT plugin).
-- No parameters.
-- Rows: chosen_seq, rejected_seq (the candidates' seq), score_diff, reward,
-- num_candidates, flipped (a decision swapped chosen and rejected: run, example,
-- turn and prompt are then the rejected candidate's), example_seq (one list of
-- trajectories per value: an example, or a base example pooled by prompt
-- scope). Every split of `export_rows`: trajectories never split.
SELECT chosen_seq, rejected_seq, score_diff, reward, num_candidates, flipped, example_seq
FROM export_batch
ORDER BY position
