-- ingest/validate: type and check every staged row into the temp table `checked`.
-- No parameters. Reads `stage` (stage_fields.sql).
-- Rows: every `stage` row, with `reason`: NULL for a good candidate, else why
-- it is rejected. Item marker rows (step_pos = 0) carry a reason only when the
-- item itself is unusable; `is_marker` tells them apart.
-- Columns: only those ingest_insert, ingest_rejects, ingest_summary and
-- ingest_typed_fallback read (each row is written once more here: narrow rows
-- make this query a third cheaper): item_pos, step_pos, is_marker, event_type,
-- example_id, turn_id_text, turn_index_value, step_name_text, prompt, response,
-- score_value, step_uuid_text, metadata, raw, candidate_index_value, reason.
-- candidate_index defaults to the candidate's 0-based position among the good
-- candidates of its turn; a second candidate with the same
-- (step_name, example_id, turn_id, candidate_index) is rejected as a duplicate.
CREATE OR REPLACE TEMP TABLE checked AS
WITH typed AS (
    SELECT
        item_pos, step_pos, has_steps, step_type, payload_type, event_type, step_name, data_type,
        turn_id, turn_index, score, input, output, metadata, raw,
        step_pos = 0 AS is_marker,
        CASE
            WHEN id_type = 'VARCHAR' THEN raw_id ->> '$'
            -- numbers become their text; NaN and Infinity (Python's json writes them) are no id
            WHEN id_type IN ('BIGINT', 'UBIGINT', 'DOUBLE')
                 AND isfinite(TRY_CAST(raw_id ->> '$' AS DOUBLE)) THEN CAST(raw_id AS VARCHAR)
        END AS example_id,
        CASE
            WHEN json_type(turn_id) = 'VARCHAR' THEN turn_id ->> '$'
            WHEN json_type(turn_id) IN ('BIGINT', 'UBIGINT', 'DOUBLE')
                 AND isfinite(TRY_CAST(turn_id ->> '$' AS DOUBLE)) THEN CAST(turn_id AS VARCHAR)
        END AS turn_id_text,
        json_type(score) AS score_type,
        TRY_CAST(score ->> '$' AS DOUBLE) AS score_value,
        json_type(candidate_index) AS cidx_type,
        TRY_CAST(candidate_index ->> '$' AS BIGINT) AS cidx_value,
        json_type(turn_index) AS tidx_type,
        json_type(input) AS input_type,
        json_type(output) AS output_type,
        step_name ->> '$' AS step_name_text,
        step_uuid ->> '$' AS step_uuid_text
    FROM stage
),
judged AS (
    SELECT
        *,
        CASE
            WHEN is_marker AND NOT has_steps THEN 'item has no intermediate_steps list'
            WHEN is_marker THEN NULL
            WHEN example_id IS NULL THEN 'item has no usable id (string or number)'
            WHEN step_type IS DISTINCT FROM 'OBJECT' THEN 'step is not a JSON object'
            WHEN payload_type IS DISTINCT FROM 'OBJECT' THEN 'step has no payload object'
            WHEN event_type IS NULL THEN 'step has no payload.event_type'
            WHEN json_type(step_name) IS DISTINCT FROM 'VARCHAR' THEN 'missing step name (payload.name)'
            WHEN data_type IS DISTINCT FROM 'OBJECT' THEN 'payload.data is not an object'
            WHEN turn_id IS NULL OR json_type(turn_id) = 'NULL' THEN 'missing turn_id'
            WHEN turn_id_text IS NULL THEN 'turn_id is not a string or number'
            WHEN score IS NULL OR score_type = 'NULL' THEN 'missing score'
            WHEN score_type NOT IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR') THEN 'score is not a number'
            WHEN score_value IS NULL THEN 'score is not a number'
            WHEN NOT isfinite(score_value) THEN 'score is not finite'
            WHEN cidx_type IS NOT NULL AND cidx_type <> 'NULL'
                 AND (cidx_type NOT IN ('BIGINT', 'UBIGINT') OR cidx_value IS NULL OR cidx_value < 0)
                THEN 'candidate_index is not a non-negative integer'
            WHEN tidx_type IS NOT NULL AND tidx_type NOT IN ('NULL', 'BIGINT', 'UBIGINT')
                THEN 'turn_index is not an integer'
            -- Python's json (pairs, trajectories) fails near 1,000 levels. Only
            -- with 100+ opening brackets: drop strings and all but brackets,
            -- then the brackets must match "balanced, at most 100 deep"
            -- (that pattern nests (?:[ ... ])* 100 times; RE2, linear time).
            -- (The length test first only skips the count for short metadata.)
            WHEN length(CAST(metadata AS VARCHAR)) > 100
                 AND length(CAST(metadata AS VARCHAR))
                     - length(replace(replace(CAST(metadata AS VARCHAR), '[', ''), '{', '')) > 100
                 AND NOT regexp_full_match(
                        regexp_replace(regexp_replace(CAST(metadata AS VARCHAR),
                            '"(?:[^"\\]|\\.)*"', '', 'g'), '[^\[\]{}]', '', 'g'),
                        repeat('(?:[\[{]', 100) || repeat('[\]}])*', 100))
                THEN 'payload.metadata is nested deeper than 100 levels'
        END AS reason
    FROM typed
),
shaped AS (
    SELECT
        *,
        -- a string stays a string; a list of {role: str, content: str} stays a
        -- message list; a missing or null prompt is '' (as NAT does); anything
        -- else is kept as its JSON text (a string)
        CASE
            WHEN reason IS NOT NULL OR is_marker THEN NULL
            WHEN input IS NULL OR input_type = 'NULL' THEN to_json('')
            WHEN input_type = 'VARCHAR' THEN input
            WHEN input_type = 'ARRAY'
                 AND len(list_filter(
                        CAST(input AS JSON[]),
                        lambda m: json_type(m) IS DISTINCT FROM 'OBJECT'
                             OR json_type(m, '$.role') IS DISTINCT FROM 'VARCHAR'
                             OR json_type(m, '$.content') IS DISTINCT FROM 'VARCHAR')) = 0
                THEN input
            ELSE to_json(CAST(input AS VARCHAR))
        END AS prompt,
        CASE
            WHEN output IS NULL OR output_type = 'NULL' THEN ''
            WHEN output_type = 'VARCHAR' THEN output ->> '$'
            ELSE CAST(output AS VARCHAR)
        END AS response,
        CASE WHEN tidx_type IN ('BIGINT', 'UBIGINT') THEN TRY_CAST(turn_index ->> '$' AS BIGINT) END AS turn_index_value
    FROM judged
),
-- The two numbering windows run over narrow key rows (not the wide staged
-- rows, whose prompts and responses they would otherwise sort along): a third
-- of the cost at 500k rows. They join back on (item_pos, step_pos), unique in `stage`.
keys AS (
    SELECT
        item_pos,
        step_pos,
        reason IS NULL AND NOT is_marker AS good,
        step_name_text,
        example_id,
        turn_id_text,
        coalesce(
            CASE WHEN cidx_type IN ('BIGINT', 'UBIGINT') THEN cidx_value END,
            row_number() OVER (
                PARTITION BY reason IS NULL AND NOT is_marker, step_name_text, example_id, turn_id_text
                ORDER BY item_pos, step_pos) - 1
        ) AS candidate_index_value
    FROM shaped
),
numbered AS (
    SELECT
        item_pos,
        step_pos,
        candidate_index_value,
        good AND row_number() OVER (
            PARTITION BY good, step_name_text, example_id, turn_id_text, candidate_index_value
            ORDER BY item_pos, step_pos) > 1 AS duplicate
    FROM keys
)
SELECT
    s.item_pos,
    s.step_pos,
    s.is_marker,
    s.event_type,
    s.example_id,
    s.turn_id_text,
    s.turn_index_value,
    s.step_name_text,
    s.prompt,
    s.response,
    s.score_value,
    s.step_uuid_text,
    s.metadata,
    s.raw,
    n.candidate_index_value,
    CASE
        WHEN n.duplicate THEN 'duplicate candidate (same step name, example, turn and candidate_index)'
        ELSE s.reason
    END AS reason
FROM shaped AS s
JOIN numbered AS n ON n.item_pos = s.item_pos AND n.step_pos = s.step_pos;
