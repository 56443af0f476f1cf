-- ingest/stage_nat_eval: read a NAT workflow_output.json into the temp table `stage_raw`.
-- Parameters: $path (the file), $max_object_bytes (largest item DuckDB may buffer),
-- $columns (the STRUCT read_json reads each item as: {<id key>: 'JSON', <steps
-- key>: 'JSON[]'}; see prefstore.ingest.nat_eval.item_columns).
-- Rows: one marker row per item (step_pos = 0, step NULL) and one row per step
-- that is a TTC_END step or has no readable payload.event_type. Other steps
-- (TTC_START, LLM_END, ...) are dropped here: they are not candidates.
-- Columns: item_pos (1-based), step_pos (1-based; 0 = item marker),
-- raw_id (JSON), has_steps, step (JSON), raw (JSON kept for rejects).
CREATE OR REPLACE TEMP TABLE stage_raw AS
WITH items AS (
    SELECT
        row_number() OVER () AS item_pos,
        raw_id,
        steps
    FROM read_json(
        $path,
        format = 'array',
        maximum_object_size = $max_object_bytes,
        columns = $columns
    ) AS item(raw_id, steps)
),
steps AS (
    SELECT
        item_pos,
        raw_id,
        steps IS NOT NULL AS has_steps,
        unnest(list_prepend(NULL::JSON, coalesce(steps, []::JSON[]))) AS step,
        generate_subscripts(list_prepend(NULL::JSON, coalesce(steps, []::JSON[])), 1) - 1 AS step_pos
    FROM items
)
SELECT item_pos, step_pos, raw_id, has_steps, step, step AS raw
FROM steps
WHERE step_pos = 0
   OR coalesce(json_extract_string(step, '$.payload.event_type'), 'TTC_END') = 'TTC_END';
