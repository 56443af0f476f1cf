-- ingest/rejects: record every rejected row of `checked` in `rejects`.
-- Parameters: $run_id.
INSERT INTO rejects
SELECT
    $run_id AS run_id,
    example_id,
    step_uuid_text AS step_uuid,
    step_name_text AS step_name,
    item_pos,
    CASE WHEN is_marker THEN NULL ELSE step_pos END AS step_pos,
    reason,
    raw
FROM checked
WHERE reason IS NOT NULL
ORDER BY item_pos, step_pos;
