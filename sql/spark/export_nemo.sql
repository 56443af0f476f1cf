-- spark/export_nemo: NeMo Customizer DPO lines from the view `pair_rows` (the
-- pair query's rows), in output order. SPARK SQL, run only by prefstore.spark:
-- the one place the DuckDB export's NeMo prompt rule (last message) is spelled
-- for Spark, because DuckDB's JSON functions (json_type, '$[#-1]') have no
-- Spark form sqlglot could write. No parameters.
-- Rows: prompt (the string prompt, or the content of the last message of a
-- message-list prompt, '' if it has none; NAT's use_full_message_history:
-- false), chosen_response, rejected_response.
SELECT
    CASE
        WHEN prompt RLIKE '^\\s*\\[' THEN
            coalesce(try_element_at(from_json(prompt, 'array<struct<content:string>>'), -1).content, '')
        ELSE try_element_at(from_json(concat('[', prompt, ']'), 'array<string>'), 1)
    END AS prompt,
    chosen_response,
    rejected_response
FROM pair_rows
ORDER BY example_seq, turn_seq, pair_rank
