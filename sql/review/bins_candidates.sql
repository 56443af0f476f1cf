-- review/bins_candidates: how many turns have k candidates (of the pair options' step name), for
-- every k from 1 to the largest. Reads review_candidates. No parameters.
-- Rows: k, turns; by k.
WITH per_turn AS (
    SELECT count(*) AS k FROM review_candidates GROUP BY run_id, example_id, turn_id
),
counted AS (
    SELECT k, count(*) AS turns FROM per_turn GROUP BY k
)
SELECT t.k, coalesce(c.turns, 0) AS turns
FROM (SELECT unnest(range(1, (SELECT max(k) FROM per_turn) + 1)) AS k) AS t
LEFT JOIN counted AS c ON c.k = t.k
ORDER BY t.k
