-- ingest/stage_rollout_scores: read a NAT evaluator output file (`<evaluator>_output.json`:
-- {"average_score", "eval_output_items": [{"id", "score", "reasoning", "error"}]}) into
-- the temp tables `rollout_score_file` and `rollout_scores`.
-- Parameters: $path (the file), $max_object_bytes (largest object DuckDB may buffer).
-- Rows of rollout_score_file: one, has_items (whether the file has an eval_output_items list).
-- Rows of rollout_scores: one per evaluator item, in file order: score_pos (1-based),
-- id_key (the id as text: a string's value, a finite number's JSON text; NULL when the id is
-- neither), score, reasoning, error (JSON, as given; NULL when absent), raw (the item).
CREATE OR REPLACE TEMP TABLE rollout_score_file AS
SELECT eval_output_items IS NOT NULL AS has_items, coalesce(eval_output_items, []::JSON[]) AS items
FROM read_json(
    $path,
    format = 'unstructured',
    maximum_object_size = $max_object_bytes,
    columns = {'eval_output_items': 'JSON[]'}
);

CREATE OR REPLACE TEMP TABLE rollout_scores AS
WITH listed AS (
    SELECT generate_subscripts(items, 1) AS score_pos, unnest(items) AS raw
    FROM rollout_score_file
),
fields AS (
    SELECT score_pos, raw, json_extract(raw, ['$.id', '$.score', '$.reasoning', '$.error']) AS f
    FROM listed
)
SELECT
    score_pos,
    CASE
        WHEN json_type(f[1]) = 'VARCHAR' THEN f[1] ->> '$'
        WHEN json_type(f[1]) IN ('BIGINT', 'UBIGINT', 'DOUBLE')
             AND isfinite(TRY_CAST(f[1] ->> '$' AS DOUBLE)) THEN CAST(f[1] AS VARCHAR)
    END AS id_key,
    f[2] AS score,
    f[3] AS reasoning,
    f[4] AS error,
    raw
FROM fields;
