-- export/split_counts: pairs, examples and base examples (groups: the `nat
-- eval --reps` copies of one question) per split of the temp table
-- `export_rows`. No parameters.
-- Rows: split ('train', 'validation'), pairs, examples, groups; splits without
-- rows are absent.
SELECT split, count(*) AS pairs, count(DISTINCT example_seq) AS examples, count(DISTINCT group_seq) AS groups
FROM export_rows
GROUP BY split
ORDER BY split
