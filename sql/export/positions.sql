-- export/positions: the extent of the temp table `export_rows`, for cutting
-- it into batches of positions (export.py writes a batch at a time, so no sort
-- ever holds more than one batch of texts). No parameters.
-- Rows: one row: pairs, text_bytes (sum), first and last position (NULL when empty).
SELECT count(*) AS pairs, coalesce(sum(text_bytes), 0) AS text_bytes,
       min(position) AS first_position, max(position) AS last_position
FROM export_rows
