-- export_message_prompts: how many rows of the temp table `export_rows` have a
-- message-list prompt, and the first of them in output order (for a clear
-- refusal of formats that need string prompts). No parameters.
-- Rows: one row: n, example_id, turn_id (NULL when n = 0).
SELECT
    count(*) AS n,
    arg_min(example_id, position) AS example_id,
    arg_min(turn_id, position) AS turn_id
FROM export_rows
WHERE json_type(prompt) = 'ARRAY'
