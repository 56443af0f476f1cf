-- review/bins_score: histogram of candidate scores per run, $bins equal-width bins spanning every
-- selected run's scores (one scale, so runs compare side by side). Reads review_candidates, `runs`.
-- Parameters: $bins.
-- Rows: run_id, run_seq, bin (0 .. $bins-1), lo, hi (the bin's edges), n; every bin of every run,
-- empty ones with n = 0, by run_seq then bin.
WITH span AS (
    SELECT min(score) AS lo, max(score) AS hi FROM review_candidates
),
edges AS (
    SELECT b AS bin,
           s.lo + (s.hi - s.lo) * b / $bins AS lo,
           s.lo + (s.hi - s.lo) * (b + 1) / $bins AS hi
    FROM span AS s, range($bins) AS t(b)
    WHERE s.lo IS NOT NULL
),
counted AS (
    SELECT c.run_id,
           least(CAST(floor(CASE WHEN s.hi > s.lo THEN (c.score - s.lo) / (s.hi - s.lo) * $bins ELSE 0 END)
                      AS BIGINT), $bins - 1) AS bin,
           count(*) AS n
    FROM review_candidates AS c, span AS s
    GROUP BY ALL
),
run_list AS (
    SELECT DISTINCT c.run_id, r.run_seq
    FROM review_candidates AS c JOIN runs AS r ON r.run_id = c.run_id
)
SELECT l.run_id, l.run_seq, e.bin, e.lo, e.hi, coalesce(k.n, 0) AS n
FROM run_list AS l
CROSS JOIN edges AS e
LEFT JOIN counted AS k ON k.run_id = l.run_id AND k.bin = e.bin
ORDER BY l.run_seq, e.bin
