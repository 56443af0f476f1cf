-- export/format_nemo: NeMo Customizer DPO lines (as NAT's trainer adapter
-- uploads them) from the relation `export_batch` (sql/export/batch.sql), in output order.
-- Parameters: $split ('train' or 'validation'), $prompt_style
-- ('last-message': the content of the last prompt message, or the string
-- prompt, like NAT's use_full_message_history: false; 'messages': the message
-- list, a string prompt becoming one user message).
-- Rows: prompt (JSON: a string or a message list), chosen_response, rejected_response.
SELECT
    CASE
        WHEN $prompt_style = 'messages' THEN
            CASE
                WHEN json_type(prompt) = 'ARRAY' THEN prompt
                ELSE json_array(json_object('role', 'user', 'content', prompt ->> '$'))
            END
        WHEN json_type(prompt) = 'ARRAY' THEN to_json(coalesce(json_extract_string(prompt, '$[#-1].content'), ''))
        ELSE to_json(prompt ->> '$')
    END AS prompt,
    chosen_response,
    rejected_response
FROM export_batch
WHERE split = $split
ORDER BY position
