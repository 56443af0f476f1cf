-- ingest/typed_fallback: whether `checked`, staged by stage_nat_eval_typed.sql,
-- must be staged again by the robust path (stage_nat_eval.sql + stage_fields.sql).
-- No parameters. Rows: one, `fallback` BOOLEAN: true when any row is rejected
-- (the rejects table keeps each rejected step's raw JSON, which only the robust
-- path reads) or a good candidate has a SQL NULL metadata (the typed read cannot
-- tell a missing `metadata` from `"metadata": null`; the robust path can).
SELECT coalesce(bool_or(reason IS NOT NULL OR (NOT is_marker AND metadata IS NULL)), false) AS fallback
FROM checked;
