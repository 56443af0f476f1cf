-- export/format_openai: OpenAI preference fine-tuning (method "dpo") lines from
-- the relation `export_batch` (sql/export/batch.sql), in output order.
-- Parameters: $split ('train' or 'validation').
-- Rows: input ({"messages": [...]}, a string prompt becoming one user
-- message), preferred_output and non_preferred_output (one assistant message each).
SELECT
    json_object('messages',
        CASE
            WHEN json_type(prompt) = 'ARRAY' THEN prompt
            ELSE json_array(json_object('role', 'user', 'content', prompt ->> '$'))
        END) AS input,
    json_array(json_object('role', 'assistant', 'content', chosen_response)) AS preferred_output,
    json_array(json_object('role', 'assistant', 'content', rejected_response)) AS non_preferred_output
FROM export_batch
WHERE split = $split
ORDER BY position
