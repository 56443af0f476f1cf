-- review/run_summary: the overview's table, one row per run in ingest order. Reads `runs` (the
-- store), review_candidates, review_pairs, review_flags. Parameters: $runs (VARCHAR[] or NULL).
-- Rows: run_id, run_seq, examples, turns, candidates (of the pair options' step name), pairs (an
-- export would write them: not excluded), excluded, flipped, noted (pairs with such a decision in
-- force), rejects (steps the ingest refused).
WITH cands AS (
    SELECT run_id, count(DISTINCT example_id) AS examples,
           count(DISTINCT (example_id, turn_id)) AS turns, count(*) AS candidates
    FROM review_candidates
    GROUP BY run_id
),
prs AS (
    SELECT p.run_id,
           count(*) FILTER (WHERE NOT coalesce(f.excluded, false)) AS pairs,
           count(*) FILTER (WHERE f.excluded) AS excluded,
           count(*) FILTER (WHERE f.flipped) AS flipped,
           count(*) FILTER (WHERE f.noted) AS noted
    FROM review_pairs AS p
    LEFT JOIN review_flags AS f ON f.pos = p.pos
    GROUP BY p.run_id
)
SELECT r.run_id, r.run_seq,
       coalesce(c.examples, 0) AS examples, coalesce(c.turns, 0) AS turns,
       coalesce(c.candidates, 0) AS candidates, coalesce(p.pairs, 0) AS pairs,
       coalesce(p.excluded, 0) AS excluded, coalesce(p.flipped, 0) AS flipped,
       coalesce(p.noted, 0) AS noted, r.n_rejects AS rejects
FROM runs AS r
LEFT JOIN cands AS c ON c.run_id = r.run_id
LEFT JOIN prs AS p ON p.run_id = r.run_id
WHERE $runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), r.run_id)
ORDER BY r.run_seq
