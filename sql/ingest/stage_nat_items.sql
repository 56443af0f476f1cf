-- ingest/stage_nat_items: stage NAT items handed over in-process (no file) into `stage_raw`.
-- Parameters: parallel lists, one element per staged row, in the shape
-- stage_nat_eval.sql produces: $item_pos BIGINT[], $step_pos BIGINT[] (0 = item
-- marker), $raw_id VARCHAR[] (JSON text of the item id), $has_steps BOOLEAN[],
-- $step VARCHAR[] (JSON text of the step; NULL on marker rows).
-- Rows: one per list element, columns as stage_nat_eval.sql (item_pos,
-- step_pos, raw_id, has_steps, step, raw); each step's JSON is parsed once.
CREATE OR REPLACE TEMP TABLE stage_raw AS
SELECT item_pos, step_pos, raw_id, has_steps, step, step AS raw
FROM (
    SELECT
        unnest($item_pos::BIGINT[]) AS item_pos,
        unnest($step_pos::BIGINT[]) AS step_pos,
        unnest($raw_id::VARCHAR[])::JSON AS raw_id,
        unnest($has_steps::BOOLEAN[]) AS has_steps,
        unnest($step::VARCHAR[])::JSON AS step
);
