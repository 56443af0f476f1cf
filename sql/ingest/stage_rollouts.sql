-- ingest/stage_rollouts: turn `rollout_items` (stage_rollout_items*.sql) and `rollout_scores`
-- (stage_rollout_scores.sql) into the temp table `stage_raw`, in the shape
-- stage_nat_eval.sql produces, so that stage_fields.sql and validate.sql check them
-- unchanged; and into `rollout_reasons`, the rollout rules validate.sql does not know
-- (judge_rollouts.sql applies them to `checked`).
-- Parameters: $step_name (payload.name of every candidate), $evaluator (the evaluator's
-- name, kept in each candidate's metadata).
-- Rows of stage_raw: per workflow item, a marker (step_pos 0) and its candidate (step_pos 1):
-- raw_id = the example id, i.e. the item id less a trailing `_rep<k>` (NAT's `--reps`
-- suffix), as a JSON string; step = a synthetic TTC_END step {payload: {event_type, name,
-- UUID null, metadata {evaluator, item_id, reasoning}, data {turn_id = the example id,
-- turn_index null, candidate_index = k (0 without the suffix), score, input = the prompt,
-- output = generated_answer}}}; raw = {item: {id, prompt, generated_answer}, score: the
-- evaluator item}. A rollout rejected by a rollout rule gets a step without event_type, so
-- validate.sql never counts it as a good candidate (nor as the first of a duplicate pair).
-- Per evaluator item whose id matches no workflow item: a row with item_pos 0, step_pos =
-- its position in the evaluator file, raw = the evaluator item.
-- Rows of rollout_reasons: item_pos, step_pos, reason, for every row a rollout rule rejects.
CREATE OR REPLACE TEMP TABLE rollout_rows AS
WITH items AS (
    SELECT
        *,
        CASE
            WHEN json_type(raw_id) = 'VARCHAR' THEN raw_id ->> '$'
            WHEN json_type(raw_id) IN ('BIGINT', 'UBIGINT', 'DOUBLE')
                 AND isfinite(TRY_CAST(raw_id ->> '$' AS DOUBLE)) THEN CAST(raw_id AS VARCHAR)
        END AS id_key
    FROM rollout_items
),
matched AS (
    SELECT i.item_pos, count(s.score_pos) AS n_scores, min(s.score_pos) AS score_pos
    FROM items AS i
    LEFT JOIN rollout_scores AS s ON s.id_key = i.id_key
    GROUP BY i.item_pos
),
joined AS (
    SELECT
        i.*,
        m.n_scores,
        s.score,
        s.reasoning,
        s.error,
        s.raw AS score_raw,
        regexp_replace(i.id_key, '_rep[0-9]+$', '') AS example_key,
        coalesce(TRY_CAST(nullif(regexp_extract(i.id_key, '_rep([0-9]+)$', 1), '') AS BIGINT), 0) AS rep
    FROM items AS i
    JOIN matched AS m USING (item_pos)
    LEFT JOIN rollout_scores AS s ON s.score_pos = m.score_pos
)
SELECT
    *,
    CASE
        WHEN id_key IS NULL THEN NULL  -- validate.sql: 'item has no usable id'
        WHEN prompt_reason IS NOT NULL THEN prompt_reason
        WHEN n_scores = 0 THEN 'no score for this item in the evaluator file'
        WHEN n_scores > 1 THEN 'more than one score for this item in the evaluator file'
        WHEN error IS NOT NULL AND json_type(error) <> 'NULL' THEN 'evaluator reported an error for this item'
        WHEN score IS NULL OR json_type(score) = 'NULL' OR isnan(TRY_CAST(score ->> '$' AS DOUBLE))
            THEN 'evaluator score is null or NaN'
    END AS rule_reason
FROM joined;

CREATE OR REPLACE TEMP TABLE stage_raw AS
SELECT
    item_pos,
    0 AS step_pos,
    CASE WHEN id_key IS NULL THEN raw_id ELSE to_json(example_key) END AS raw_id,
    true AS has_steps,
    NULL::JSON AS step,
    NULL::JSON AS raw
FROM rollout_rows
UNION ALL
SELECT
    item_pos,
    1 AS step_pos,
    CASE WHEN id_key IS NULL THEN raw_id ELSE to_json(example_key) END AS raw_id,
    true AS has_steps,
    CASE
        WHEN rule_reason IS NOT NULL THEN json_object('payload', json_object('name', $step_name))
        ELSE json_object('payload', json_object(
            'event_type', 'TTC_END',
            'name', $step_name,
            'UUID', NULL,
            'metadata', json_object('evaluator', $evaluator, 'item_id', raw_id, 'reasoning', reasoning),
            'data', json_object(
                'turn_id', example_key,
                'turn_index', NULL,
                'candidate_index', rep,
                'score', score,
                'input', prompt,
                'output', response)))
    END AS step,
    json_object('item', json_object('id', raw_id, 'prompt', prompt, 'generated_answer', response),
                'score', score_raw) AS raw
FROM rollout_rows
UNION ALL
SELECT
    0 AS item_pos,
    s.score_pos AS step_pos,
    CASE WHEN s.id_key IS NOT NULL THEN to_json(regexp_replace(s.id_key, '_rep[0-9]+$', '')) END AS raw_id,
    true AS has_steps,
    json_object('payload', json_object('name', $step_name)) AS step,
    s.raw
FROM rollout_scores AS s
WHERE s.id_key IS NULL OR NOT EXISTS (SELECT 1 FROM rollout_rows AS r WHERE r.id_key = s.id_key)
ORDER BY item_pos, step_pos;

CREATE OR REPLACE TEMP TABLE rollout_reasons AS
SELECT item_pos, 1 AS step_pos, rule_reason AS reason
FROM rollout_rows
WHERE rule_reason IS NOT NULL
UNION ALL
SELECT 0, step_pos, 'evaluator item matches no workflow item'
FROM stage_raw
WHERE item_pos = 0;
