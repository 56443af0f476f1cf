-- lint/dominant_examples: examples holding a large share of the pairs: more than $dominant_share
-- of all pairs and more than $dominant_factor times the median example's pairs, among at least
-- $dominant_min_examples examples. A few examples with many candidates (or a pair explosion)
-- then outweigh the rest of the data set.
-- Reads `pair_rows`. Parameters: $dominant_share, $dominant_factor, $dominant_min_examples.
-- Rows: into `lint_findings`, one 'example' row each, most pairs first; value = share of pairs,
-- detail = {pairs, median_pairs}.
INSERT INTO lint_findings
WITH per_example AS (
    SELECT example_id, min(example_seq) AS example_seq, count(*) AS pairs
    FROM pair_rows
    GROUP BY example_id
),
totals AS (
    SELECT sum(pairs) AS pairs, median(pairs) AS median_pairs, count(*) AS examples
    FROM per_example
)
SELECT 'dominant_examples', 'example', NULL, e.example_id, NULL, NULL, NULL, e.pairs / t.pairs,
       json_object('pairs', e.pairs, 'median_pairs', t.median_pairs)
FROM per_example AS e, totals AS t
WHERE t.examples >= $dominant_min_examples
  AND e.pairs > $dominant_share * t.pairs
  AND e.pairs > $dominant_factor * t.median_pairs
ORDER BY e.pairs DESC, e.example_seq
