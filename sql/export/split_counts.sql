-- export/split_counts: pairs, examples and base examples (groups: the `nat
-- eval --reps` copies of one question) per split of the temp table
-- `export_rows`. No parameters.
-- Rows: split ('train', 'validation'), pairs, examples, groups; splits without
-- rows are absent.
WITH per_example AS (
    SELECT split, example_seq, count(*) AS pairs
    FROM export_rows
    GROUP BY split, example_seq
)
SELECT e.split, sum(e.pairs) AS pairs, count(*) AS examples, count(DISTINCT c.base_example_id) AS groups
FROM per_example AS e
JOIN candidates AS c ON c.seq = e.example_seq
GROUP BY e.split
ORDER BY e.split
