-- ingest/stage_nat_items_typed: the fast path of stage_nat_items.sql + stage_fields.sql
-- for NAT IntermediateStep models handed over in-process: every step's JSON is
-- parsed once, by one multi-path json_extract, straight into `stage`.
-- Parameters: as stage_nat_items.sql ($item_pos BIGINT[], $step_pos BIGINT[],
-- $raw_id VARCHAR[], $has_steps BOOLEAN[], $step VARCHAR[]), except that each
-- step is the JSON of just its payload's {event_type, name, UUID, metadata,
-- data}. prefstore.ingest uses this query only when every staged step is a pydantic
-- model whose payload and payload.data are objects, so those types are known
-- without parsing.
-- Rows: into the temp table `stage`, the same rows and columns stage_fields.sql
-- makes, except `raw`, which is NULL (a run with rejects is staged again by the
-- robust path, which keeps each rejected step's JSON; see ingest_typed_fallback.sql).
CREATE OR REPLACE TEMP TABLE stage AS
WITH listed AS (
    SELECT
        unnest($item_pos::BIGINT[]) AS item_pos,
        unnest($step_pos::BIGINT[]) AS step_pos,
        unnest($raw_id::VARCHAR[])::JSON AS raw_id,
        unnest($has_steps::BOOLEAN[]) AS has_steps,
        unnest($step::VARCHAR[]) AS step
),
extracted AS (
    SELECT
        *,
        json_extract(step, ['$.event_type', '$.name', '$.UUID', '$.metadata',
                            '$.data.turn_id', '$.data.turn_index', '$.data.candidate_index',
                            '$.data.score', '$.data.input', '$.data.output']) AS v
    FROM listed
)
SELECT
    item_pos,
    step_pos,
    raw_id,
    json_type(raw_id) AS id_type,
    has_steps,
    CASE WHEN step_pos = 0 THEN NULL ELSE 'OBJECT' END AS step_type,
    CASE WHEN step_pos = 0 THEN NULL ELSE 'OBJECT' END AS payload_type,
    v[1] ->> '$' AS event_type,
    v[2] AS step_name,
    v[3] AS step_uuid,
    v[4] AS metadata,
    CASE WHEN step_pos = 0 THEN NULL ELSE 'OBJECT' END AS data_type,
    v[5] AS turn_id,
    v[6] AS turn_index,
    v[7] AS candidate_index,
    v[8] AS score,
    v[9] AS input,
    v[10] AS output,
    NULL::JSON AS raw
FROM extracted;
