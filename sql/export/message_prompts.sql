-- export/message_prompts: how many rows of the temp table `export_rows` have a
-- message-list prompt, and the first of them in output order (for a clear
-- refusal of formats that need string prompts). No parameters.
-- Rows: one row: n, example_id, turn_id (NULL when n = 0).
WITH message_rows AS (
    SELECT count(*) AS n, arg_min(chosen_seq, position) AS chosen_seq
    FROM export_rows
    WHERE message_prompt
)
SELECT m.n, c.example_id, c.turn_id
FROM message_rows AS m
LEFT JOIN candidates AS c ON c.seq = m.chosen_seq
