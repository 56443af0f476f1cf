-- export_nemo: NeMo Customizer DPO lines from the view `pair_rows` (the pair
-- query's rows), in output order. No parameters.
-- Rows: prompt (the string prompt, or the content of the last message of a
-- message-list prompt; NAT's use_full_message_history: false),
-- chosen_response, rejected_response.
SELECT
    CASE
        WHEN json_type(prompt) = 'ARRAY' THEN coalesce(json_extract_string(prompt, '$[#-1].content'), '')
        ELSE prompt ->> '$'
    END AS prompt,
    chosen_response,
    rejected_response
FROM pair_rows
ORDER BY example_seq, turn_seq, pair_rank
