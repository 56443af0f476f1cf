-- ingest/stage_rollout_items_messages: as stage_rollout_items.sql, but each prompt is the
-- input of the item's first LLM call: the `payload.data.input` of its first LLM_START step.
-- Parameters: $path (the file), $max_object_bytes (largest item DuckDB may buffer).
-- Rows: one per item, in file order: item_pos, raw_id, prompt, response, prompt_reason.
-- A message list becomes [{role, content}]: `role` as given, else LangChain's message
-- `type` mapped to its role (human -> user, ai -> assistant, system, tool); `content` as
-- given (validate.sql keeps a list whose messages all have string role and content, and
-- stores any other prompt as its JSON text). A string input (a completion model) stays a
-- string. prompt_reason says why an item has no prompt (no LLM_START step, e.g. because
-- eval.general.output.workflow_output_step_filter dropped it).
CREATE OR REPLACE TEMP TABLE rollout_items AS
WITH items AS (
    SELECT
        row_number() OVER () AS item_pos,
        id AS raw_id,
        generated_answer AS response,
        list_filter(
            coalesce(intermediate_steps, []::JSON[]),
            lambda s: json_extract_string(s, '$.payload.event_type') = 'LLM_START'
        )[1] -> '$.payload.data.input' AS llm_input
    FROM read_json(
        $path,
        format = 'array',
        maximum_object_size = $max_object_bytes,
        columns = {'id': 'JSON', 'generated_answer': 'JSON', 'intermediate_steps': 'JSON[]'}
    )
)
SELECT
    item_pos,
    raw_id,
    CASE
        WHEN json_type(llm_input) = 'ARRAY' THEN to_json(list_transform(
            CAST(llm_input AS JSON[]),
            lambda m: json_object(
                'role', coalesce(
                    m ->> '$.role',
                    CASE m ->> '$.type'
                        WHEN 'human' THEN 'user'
                        WHEN 'HumanMessageChunk' THEN 'user'
                        WHEN 'ai' THEN 'assistant'
                        WHEN 'AIMessageChunk' THEN 'assistant'
                        WHEN 'system' THEN 'system'
                        WHEN 'tool' THEN 'tool'
                    END),
                'content', m -> '$.content')))
        ELSE llm_input
    END AS prompt,
    response,
    CASE
        WHEN llm_input IS NULL OR json_type(llm_input) = 'NULL'
            THEN 'no LLM_START step with an input in this item (keep LLM_START in '
                 || 'eval.general.output.workflow_output_step_filter, or use --prompt-from question)'
    END AS prompt_reason
FROM items;
