-- review/split: each example's side in a directory export's default split, from `export_rows`
-- (sql/export/rows.sql run with lint's DEFAULT_SPLIT). No parameters.
-- Rows: example_seq, split ('train' or 'validation'); examples that export no pair are absent.
SELECT DISTINCT example_seq, split
FROM export_rows
ORDER BY example_seq
