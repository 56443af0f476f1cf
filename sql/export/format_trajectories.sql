-- export/format_trajectories: the pairs of the relation `export_batch`
-- (sql/export/batch.sql) for NAT's trajectories, narrow, in output order; the
-- texts come once per candidate from sql/export/batch_candidates.sql, and
-- trajectories.py builds one trajectory per row, grouped per example (the
-- `trajectories` export format, store.trajectories(), the NAT plugin).
-- No parameters.
-- Rows: chosen_seq, rejected_seq (the candidates' seq), score_diff, reward,
-- num_candidates. Every split of `export_rows`: trajectories never split.
SELECT chosen_seq, rejected_seq, score_diff, reward, num_candidates
FROM export_batch
ORDER BY position
