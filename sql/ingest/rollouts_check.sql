-- ingest/rollouts_check: whether an evaluator file fits its workflow_output.json, read by
-- stage_rollout_items*.sql and stage_rollout_scores.sql. No parameters.
-- Rows: one: has_items (the evaluator file has an eval_output_items list), items (workflow
-- items), scored_items (workflow items whose id has a score entry). Zero scored items of a
-- non-empty file means the two files are not of the same `nat eval` run.
SELECT
    (SELECT bool_and(has_items) FROM rollout_score_file) AS has_items,
    (SELECT count(*) FROM rollout_items) AS items,
    (SELECT count(*) FROM rollout_items AS i
     WHERE EXISTS (
        SELECT 1 FROM rollout_scores AS s
        WHERE s.id_key = CASE
            WHEN json_type(i.raw_id) = 'VARCHAR' THEN i.raw_id ->> '$'
            WHEN json_type(i.raw_id) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(i.raw_id AS VARCHAR)
        END)) AS scored_items;
