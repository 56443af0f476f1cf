-- review/bins_margin: histogram of the margin (|score_diff|) of the pairs an export would write
-- (not excluded), $bins equal-width bins from 0 to the largest margin. Reads review_pairs,
-- review_flags. Parameters: $bins.
-- Rows: bin, lo, hi, n; every bin, by bin.
WITH kept AS (
    SELECT abs(p.score_diff) AS margin
    FROM review_pairs AS p
    LEFT JOIN review_flags AS f ON f.pos = p.pos
    WHERE NOT coalesce(f.excluded, false)
),
span AS (
    SELECT max(margin) AS hi FROM kept
),
counted AS (
    SELECT least(CAST(floor(CASE WHEN s.hi > 0 THEN k.margin / s.hi * $bins ELSE 0 END) AS BIGINT), $bins - 1) AS bin,
           count(*) AS n
    FROM kept AS k, span AS s
    GROUP BY ALL
)
SELECT t.b AS bin, s.hi * t.b / $bins AS lo, s.hi * (t.b + 1) / $bins AS hi, coalesce(c.n, 0) AS n
FROM span AS s
CROSS JOIN range($bins) AS t(b)
LEFT JOIN counted AS c ON c.bin = t.b
WHERE s.hi IS NOT NULL
ORDER BY bin
