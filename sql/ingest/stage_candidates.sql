-- ingest/stage_candidates: turn the rows of `candidate_rows` (one candidate each)
-- into the temp table `stage_raw`, in the shape stage_nat_eval.sql produces,
-- so that stage_fields.sql and validate.sql check them unchanged.
-- Parameters: $default_step_name (for rows without step_name, or a null one).
-- Rows: one item marker per distinct usable example_id (a string or number;
-- item_pos = order of first appearance, step_pos 0) and one row per
-- candidate: item_pos of its example (0 when it has no usable id; the row is
-- then rejected, never dropped), step_pos = its row_pos, raw_id = its
-- example_id (JSON), has_steps true, step = a synthetic TTC_END step
-- {payload: {event_type, name, UUID (step_uuid), metadata, data: {turn_id, turn_index,
-- candidate_index, score, input, output}}} (a row that is not a JSON object
-- stays as it is, and is rejected as such), raw = the row as read.
CREATE OR REPLACE TEMP TABLE stage_raw AS
WITH fields AS (
    SELECT
        row_pos,
        row,
        json_type(row) = 'OBJECT' AS is_object,
        json_extract(row, ['$.example_id', '$.turn_id', '$.prompt', '$.response', '$.score',
                           '$.candidate_index', '$.turn_index', '$.step_name', '$.metadata',
                           '$.step_uuid']) AS f
    FROM candidate_rows
),
steps AS (
    SELECT
        row_pos,
        row,
        CASE WHEN is_object THEN f[1] ELSE to_json('') END AS raw_id,
        is_object AND json_type(f[1]) IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE') AS has_usable_id,
        CASE
            WHEN NOT is_object THEN row
            ELSE json_object('payload', json_object(
                'event_type', 'TTC_END',
                'name', CASE WHEN f[8] IS NULL OR json_type(f[8]) = 'NULL'
                             THEN to_json($default_step_name) ELSE f[8] END,
                'UUID', f[10],
                'metadata', f[9],
                'data', json_object(
                    'turn_id', f[2],
                    'turn_index', f[7],
                    'candidate_index', f[6],
                    'score', f[5],
                    'input', f[3],
                    'output', f[4])))
        END AS step
    FROM fields
),
items AS (
    SELECT
        CAST(raw_id AS VARCHAR) AS id_key,
        any_value(raw_id) AS raw_id,
        row_number() OVER (ORDER BY min(row_pos)) AS item_pos
    FROM steps
    WHERE has_usable_id
    GROUP BY CAST(raw_id AS VARCHAR)
)
SELECT item_pos, 0 AS step_pos, raw_id, true AS has_steps, NULL::JSON AS step, NULL::JSON AS raw
FROM items
UNION ALL
SELECT
    coalesce(i.item_pos, 0) AS item_pos, s.row_pos AS step_pos, s.raw_id, true AS has_steps,
    s.step, s.row AS raw
FROM steps AS s
LEFT JOIN items AS i ON s.has_usable_id AND i.id_key = CAST(s.raw_id AS VARCHAR)
ORDER BY item_pos, step_pos;
