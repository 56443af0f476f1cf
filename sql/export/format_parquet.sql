-- export/format_parquet: Parquet rows (TRL's conversational columns plus
-- provenance) from the relation `export_batch` (sql/export/batch.sql), in output order.
-- Parameters: $split ('train' or 'validation').
-- Rows: prompt, chosen, rejected (lists of {role, content} structs; a string
-- prompt becomes one user message; extra message keys are dropped),
-- example_id, run_id, turn_id, chosen_score, rejected_score, score_diff, reward.
SELECT
    CASE
        WHEN json_type(prompt) = 'ARRAY'
            THEN from_json(prompt, '[{"role": "VARCHAR", "content": "VARCHAR"}]')
        ELSE [{'role': 'user', 'content': prompt ->> '$'}]
    END AS prompt,
    [{'role': 'assistant', 'content': chosen_response}] AS chosen,
    [{'role': 'assistant', 'content': rejected_response}] AS rejected,
    example_id,
    run_id,
    turn_id,
    chosen_score,
    rejected_score,
    score_diff,
    reward
FROM export_batch
WHERE split = $split
ORDER BY position
