-- ingest/has_ttc_steps: whether a NAT workflow_output.json holds a TTC_END step at all
-- (`prefstore ingest-eval` stores a TTC run only then), reading each step's event type only.
-- Parameters: $path (the file), $max_object_bytes (largest item DuckDB may buffer).
-- Rows: one, has_ttc BOOLEAN. Fails on shapes the typed read cannot hold; the caller then
-- ingests the file and lets validation judge it.
SELECT coalesce(bool_or(list_contains(
    list_transform(intermediate_steps, lambda s: s.payload.event_type), 'TTC_END')), false) AS has_ttc
FROM read_json(
    $path,
    format = 'array',
    maximum_object_size = $max_object_bytes,
    columns = {'intermediate_steps': 'STRUCT(payload STRUCT(event_type VARCHAR))[]'}
);
