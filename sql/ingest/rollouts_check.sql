-- ingest/rollouts_check: whether an evaluator file fits its workflow_output.json, read after
-- stage_rollouts.sql (its rollout_rows matched each workflow item's id to the evaluator
-- items', by the same id rule as the candidates). No parameters.
-- Rows: one: has_items (the evaluator file has an eval_output_items list), items (workflow
-- items), scored_items (workflow items whose id has a score entry). Zero scored items of a
-- non-empty file means the two files are not of the same `nat eval` run.
SELECT
    (SELECT bool_and(has_items) FROM rollout_score_file) AS has_items,
    (SELECT count(*) FROM rollout_rows) AS items,
    (SELECT count(*) FROM rollout_rows WHERE n_scores > 0) AS scored_items;
