-- ingest/stage_candidates_jsonl: read a candidates JSONL file (one JSON value per
-- line, blank lines skipped) into the temp table `candidate_rows`.
-- Parameters: $path (the file), $max_object_bytes (longest line DuckDB may buffer).
-- Rows: row_pos (1-based position of the value in the file), row (JSON, as read).
CREATE OR REPLACE TEMP TABLE candidate_rows AS
SELECT
    row_number() OVER () AS row_pos,
    json AS row
FROM read_json_objects($path, format = 'newline_delimited', maximum_object_size = $max_object_bytes);
