-- ingest/stage_candidates_parquet: read a candidates Parquet file into the temp table
-- `candidate_rows`, one JSON object per row (columns become keys: a JSON
-- column stays JSON, a list of {role, content} structs becomes a message
-- list, a string stays a string).
-- Parameters: $path (the file).
-- Rows: row_pos (1-based row number in the file), row (JSON object of the row).
CREATE OR REPLACE TEMP TABLE candidate_rows AS
SELECT
    t.file_row_number + 1 AS row_pos,
    json_merge_patch(to_json(t), '{"file_row_number": null}') AS row
FROM read_parquet($path, file_row_number = true) AS t;
