-- export/format_trl: Hugging Face TRL DPOTrainer lines from the relation
-- `export_batch` (sql/export/batch.sql), in output order.
-- Parameters: $split ('train' or 'validation'), $prompt_style
-- ('conversational': prompt is a message list, a string prompt becoming one
-- user message, and chosen/rejected are one assistant message each;
-- 'standard': all three are plain strings; the caller refuses it when a
-- prompt is a message list, so the two shapes are never mixed).
-- Rows: prompt, chosen, rejected (JSON).
SELECT
    CASE
        WHEN $prompt_style = 'standard' THEN to_json(prompt ->> '$')
        WHEN json_type(prompt) = 'ARRAY' THEN prompt
        ELSE json_array(json_object('role', 'user', 'content', prompt ->> '$'))
    END AS prompt,
    CASE
        WHEN $prompt_style = 'standard' THEN to_json(chosen_response)
        ELSE json_array(json_object('role', 'assistant', 'content', chosen_response))
    END AS chosen,
    CASE
        WHEN $prompt_style = 'standard' THEN to_json(rejected_response)
        ELSE json_array(json_object('role', 'assistant', 'content', rejected_response))
    END AS rejected
FROM export_batch
WHERE split = $split
ORDER BY position
