-- ingest/stage_nat_eval_typed: the fast path of stage_nat_eval.sql + stage_fields.sql in
-- one pass: read a NAT workflow_output.json with the steps typed as structs, so
-- DuckDB parses each step once and keeps only the fields a candidate needs.
-- Parameters: $paths (the file, or its consecutive pieces in file order, each
-- a JSON array: see prefstore/ingest/chunks.py), $max_object_bytes (largest item
-- DuckDB may buffer), $columns (the STRUCT read_json reads each item as: the id
-- key as JSON, then the steps key as a list of typed steps; the keys are the
-- dataset's `id_key` and `structure.trajectory_key`, by default `id` and
-- `intermediate_steps`; see prefstore.ingest.nat_eval.item_columns).
-- Rows: into the temp table `stage`, the same rows and columns stage_fields.sql
-- makes (one marker row per item, one row per TTC_END step or step without a
-- readable event_type), except `raw`, which is NULL.
-- Fails (JSON transform error) on shapes the struct type cannot hold (a step or
-- payload that is not an object, duplicate keys, ...); prefstore.ingest then stages the
-- file with the robust path, which also fills `raw` for the rejects table.
--
-- Several pieces are parsed in parallel, one per thread. item_pos is therefore
-- not a row_number() OVER () in the read (that window runs on one thread): the
-- table is written in read order (insertion order is preserved, so rowid
-- follows the pieces and the items within each), then item_pos is numbered by
-- (piece, rowid): the count of item markers up to the row, over narrow rows.
CREATE OR REPLACE TEMP TABLE stage AS
WITH items AS (
    SELECT
        list_position($paths, filename) AS piece,
        raw_id,
        steps
    FROM read_json(
        $paths,
        format = 'array',
        filename = true,
        maximum_object_size = $max_object_bytes,
        columns = $columns
    ) AS item(raw_id, steps, filename)
),
positions AS (
    -- one row per step plus the item marker (step_pos 0), without copying the
    -- step list as list_prepend would
    SELECT
        piece,
        raw_id,
        steps,
        steps IS NOT NULL AS has_steps,
        unnest(range(0, len(coalesce(steps, [])) + 1)) AS step_pos
    FROM items
),
steps AS (
    SELECT
        piece,
        raw_id,
        has_steps,
        step_pos,
        CASE WHEN step_pos > 0 THEN steps[step_pos] END AS step
    FROM positions
),
kept AS (
    SELECT
        *,
        step.payload AS p,
        json_extract(step.payload.data, ['$.turn_id', '$.turn_index', '$.candidate_index',
                                         '$.score', '$.input', '$.output']) AS v
    FROM steps
    WHERE step_pos = 0 OR coalesce(step.payload.event_type, 'TTC_END') = 'TTC_END'
)
SELECT
    piece,
    NULL::BIGINT AS item_pos,
    step_pos,
    raw_id,
    json_type(raw_id) AS id_type,
    has_steps,
    CASE WHEN step_pos = 0 THEN NULL WHEN step IS NULL THEN 'NULL' ELSE 'OBJECT' END AS step_type,
    CASE WHEN step_pos = 0 THEN NULL WHEN p IS NULL THEN 'NULL' ELSE 'OBJECT' END AS payload_type,
    p.event_type AS event_type,
    p.name AS step_name,
    p."UUID" AS step_uuid,
    p.metadata AS metadata,
    json_type(p.data) AS data_type,
    v[1] AS turn_id,
    v[2] AS turn_index,
    v[3] AS candidate_index,
    v[4] AS score,
    v[5] AS input,
    v[6] AS output,
    NULL::JSON AS raw
FROM kept;

UPDATE stage
SET item_pos = numbered.item_pos
FROM (
    SELECT
        rowid AS row_id,
        sum(CASE WHEN step_pos = 0 THEN 1 ELSE 0 END)
            OVER (ORDER BY piece, rowid ROWS UNBOUNDED PRECEDING) AS item_pos
    FROM stage
) AS numbered
WHERE stage.rowid = numbered.row_id;

ALTER TABLE stage DROP COLUMN piece;
