-- export/split_counts: pairs and examples per split of the temp table
-- `export_rows`. No parameters.
-- Rows: split ('train', 'validation'), pairs, examples; splits without rows are absent.
SELECT split, count(*) AS pairs, count(DISTINCT example_seq) AS examples
FROM export_rows
GROUP BY split
ORDER BY split
