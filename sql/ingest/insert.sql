-- ingest/insert: move the good rows of `checked` into `candidates`.
-- Parameters: $run_id. Rows keep file order: seq continues the store-wide
-- sequence in (item_pos, step_pos) order. base_example_id is example_id
-- without a trailing `_rep<k>` (NAT's `nat eval --reps` ids; migration 0004).
INSERT INTO candidates BY NAME
SELECT
    $run_id AS run_id,
    example_id,
    turn_id_text AS turn_id,
    turn_index_value AS turn_index,
    candidate_index_value AS candidate_index,
    step_name_text AS step_name,
    prompt,
    response,
    score_value AS score,
    step_uuid_text AS step_uuid,
    metadata,
    item_pos,
    step_pos,
    (SELECT coalesce(max(seq), 0) FROM candidates) + row_number() OVER (ORDER BY item_pos, step_pos) AS seq,
    regexp_replace(example_id, '_rep[0-9]+$', '') AS base_example_id
FROM checked
WHERE reason IS NULL AND NOT is_marker
ORDER BY item_pos, step_pos;
