-- 0004_base_example_id: the example a candidate belongs to once `nat eval --reps N`
-- is undone. NAT's DatasetHandler runs each example N times as `<id>_rep<k>`;
-- base_example_id is example_id without that trailing `_rep<k>` (NAT's own
-- rule, `_rep\d+$`), and example_id stays as written. Export splits,
-- curriculum and prompt pooling group by it, so one question never lands in
-- both the training and the validation file. Every ingest sets it (no NOT
-- NULL constraint: DuckDB cannot add one after an UPDATE in one transaction).

ALTER TABLE candidates ADD COLUMN base_example_id VARCHAR;
UPDATE candidates SET base_example_id = regexp_replace(example_id, '_rep[0-9]+$', '');
