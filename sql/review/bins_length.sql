-- review/bins_length: response lengths (characters) of the chosen and of the rejected side of the
-- pairs an export would write (not excluded; flips applied), in powers-of-two bins: bin k holds
-- lengths 2^k .. 2^(k+1) - 1 (bin -1 holds empty responses). Reads review_pairs, review_flags.
-- No parameters.
-- Rows: side ('chosen' or 'rejected'), bin, lo, hi (inclusive), n; every bin from the smallest to
-- the largest one used, for both sides, by side then bin.
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
binned AS (
    SELECT side, CASE WHEN len = 0 THEN -1 ELSE CAST(floor(log2(len)) AS BIGINT) END AS bin
    FROM sides
),
span AS (
    SELECT min(bin) AS lo, max(bin) AS hi FROM binned
),
counted AS (
    SELECT side, bin, count(*) AS n FROM binned GROUP BY ALL
)
SELECT sd.side, b.bin,
       CASE WHEN b.bin < 0 THEN 0 ELSE CAST(pow(2, b.bin) AS BIGINT) END AS lo,
       CASE WHEN b.bin < 0 THEN 0 ELSE CAST(pow(2, b.bin + 1) AS BIGINT) - 1 END AS hi,
       coalesce(c.n, 0) AS n
FROM span AS s
CROSS JOIN (VALUES ('chosen'), ('rejected')) AS sd(side)
CROSS JOIN LATERAL (SELECT unnest(range(s.lo, s.hi + 1)) AS bin) AS b
LEFT JOIN counted AS c ON c.side = sd.side AND c.bin = b.bin
WHERE s.lo IS NOT NULL
ORDER BY sd.side, b.bin
