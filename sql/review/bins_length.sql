-- review/bins_length: response lengths (characters) of the chosen and of the rejected side of the
-- pairs an export would write (not excluded; flips applied), in $bins bins of equal width on a log
-- scale (of length + 1) spanning the shortest to the longest response of either side: narrow ranges
-- get fine bins, long tails stay readable. Reads review_pairs, review_flags. Parameters: $bins.
-- Rows: side ('chosen' or 'rejected'), bin (0 .. $bins-1), lo, hi (the bin's lengths, inclusive;
-- a bin narrower than one character may have hi < lo and holds no length), n; every bin for both
-- sides, by side then bin. One bin when every response has the same length.
WITH kept AS (
    SELECT CASE WHEN f.flipped THEN p.rejected_len ELSE p.chosen_len END AS chosen_len,
           CASE WHEN f.flipped THEN p.chosen_len ELSE p.rejected_len END AS rejected_len
    FROM review_pairs AS p
    LEFT JOIN review_flags AS f ON f.pos = p.pos
    WHERE NOT coalesce(f.excluded, false)
),
sides AS (
    SELECT 'chosen' AS side, chosen_len AS len FROM kept
    UNION ALL
    SELECT 'rejected', rejected_len FROM kept
),
span AS (
    SELECT min(len) AS shortest, max(len) AS longest,
           ln(min(len) + 1) AS lo, ln(max(len) + 1) AS hi,
           CASE WHEN max(len) > min(len) THEN $bins ELSE 1 END AS n_bins
    FROM sides
),
binned AS (
    SELECT d.side,
           least(CAST(floor(CASE WHEN s.hi > s.lo THEN (ln(d.len + 1) - s.lo) / (s.hi - s.lo) * s.n_bins ELSE 0 END)
                      AS BIGINT), s.n_bins - 1) AS bin
    FROM sides AS d, span AS s
),
counted AS (
    SELECT side, bin, count(*) AS n FROM binned GROUP BY ALL
),
edges AS (
    SELECT b AS bin,
           CASE WHEN b = 0 THEN s.shortest
                ELSE CAST(ceil(exp(s.lo + (s.hi - s.lo) * b / s.n_bins) - 1 - 1e-9) AS BIGINT) END AS lo,
           CASE WHEN b = s.n_bins - 1 THEN s.longest
                ELSE CAST(ceil(exp(s.lo + (s.hi - s.lo) * (b + 1) / s.n_bins) - 1 - 1e-9) AS BIGINT) - 1 END AS hi
    FROM span AS s, range(CAST(s.n_bins AS BIGINT)) AS t(b)
    WHERE s.lo IS NOT NULL
)
SELECT sd.side, e.bin, e.lo, e.hi, coalesce(c.n, 0) AS n
FROM edges AS e
CROSS JOIN (VALUES ('chosen'), ('rejected')) AS sd(side)
LEFT JOIN counted AS c ON c.side = sd.side AND c.bin = e.bin
ORDER BY sd.side, e.bin
