-- ingest/stage_fields: pull the candidate fields out of `stage_raw` into `stage`.
-- No parameters. One row per `stage_raw` row; JSON-typed columns keep the
-- value exactly as given so that validation (validate.sql) can name
-- what was wrong with it.
CREATE OR REPLACE TEMP TABLE stage AS
WITH f AS (
    SELECT
        *,
        json_extract(step, ['$.payload', '$.payload.event_type', '$.payload.name',
                            '$.payload.UUID', '$.payload.metadata', '$.payload.data']) AS p
    FROM stage_raw
),
d AS (
    SELECT
        *,
        json_extract(p[6], ['$.turn_id', '$.turn_index', '$.candidate_index',
                            '$.score', '$.input', '$.output']) AS v
    FROM f
)
SELECT
    item_pos,
    step_pos,
    raw_id,
    json_type(raw_id) AS id_type,
    has_steps,
    json_type(step) AS step_type,
    json_type(p[1]) AS payload_type,
    p[2] ->> '$' AS event_type,
    p[3] AS step_name,
    p[4] AS step_uuid,
    p[5] AS metadata,
    json_type(p[6]) AS data_type,
    v[1] AS turn_id,
    v[2] AS turn_index,
    v[3] AS candidate_index,
    v[4] AS score,
    v[5] AS input,
    v[6] AS output,
    raw
FROM d;
