-- ingest/candidates_parquet_columns: no rows; its result's column names are the
-- columns of a candidates Parquet file (checked before staging).
-- Parameters: $path (the file).
SELECT * FROM read_parquet($path) LIMIT 0;
