-- ingest/stage_rollout_items: read a NAT workflow_output.json as rollouts (one item, one
-- rollout) into the temp table `rollout_items`, each prompt being the item's question.
-- Parameters: $path (the file), $max_object_bytes (largest item DuckDB may buffer).
-- Rows: one per item, in file order: item_pos (1-based), raw_id (JSON, the item id as
-- given), prompt (JSON: `question` as given), response (JSON: `generated_answer` as given),
-- prompt_reason (VARCHAR, always NULL here: a question needs no step to be found).
CREATE OR REPLACE TEMP TABLE rollout_items AS
SELECT
    row_number() OVER () AS item_pos,
    id AS raw_id,
    question AS prompt,
    generated_answer AS response,
    NULL::VARCHAR AS prompt_reason
FROM read_json(
    $path,
    format = 'array',
    maximum_object_size = $max_object_bytes,
    columns = {'id': 'JSON', 'question': 'JSON', 'generated_answer': 'JSON'}
);
