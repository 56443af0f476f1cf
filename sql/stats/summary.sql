-- stats/summary: one summary row per run in ingest order, then a total row (run_id NULL).
-- Parameters: $ttc_step_name (candidates of other names count as other_candidates).
-- Rows: run_id, run_seq, examples, turns, candidates, other_candidates,
-- single_candidate_turns, rejects, max_candidates_per_turn,
-- exhaustive_pairs_upper_bound (sum of k*(k-1)/2 over turns: the exhaustive
-- pair count if no two scores in a turn tie).
WITH t AS (
    SELECT run_id, example_id, turn_id, count(*) AS k
    FROM candidates
    WHERE step_name = $ttc_step_name
    GROUP BY run_id, example_id, turn_id
),
per_run AS (
    SELECT
        run_id,
        count(DISTINCT example_id) AS examples,
        count(*) AS turns,
        sum(k) AS candidates,
        count(*) FILTER (WHERE k = 1) AS single_candidate_turns,
        max(k) AS max_candidates_per_turn,
        sum(k * (k - 1) // 2) AS pairs_upper_bound
    FROM t
    GROUP BY run_id
),
rows AS (
    SELECT
        r.run_id,
        r.run_seq,
        coalesce(p.examples, 0) AS examples,
        coalesce(p.turns, 0) AS turns,
        coalesce(p.candidates, 0) AS candidates,
        r.n_candidates - coalesce(p.candidates, 0) AS other_candidates,
        coalesce(p.single_candidate_turns, 0) AS single_candidate_turns,
        r.n_rejects AS rejects,
        coalesce(p.max_candidates_per_turn, 0) AS max_candidates_per_turn,
        coalesce(p.pairs_upper_bound, 0) AS exhaustive_pairs_upper_bound
    FROM runs AS r
    LEFT JOIN per_run AS p ON p.run_id = r.run_id
)
SELECT * FROM rows
UNION ALL
SELECT
    NULL, NULL,
    (SELECT count(DISTINCT example_id) FROM t),
    coalesce(sum(turns), 0), coalesce(sum(candidates), 0), coalesce(sum(other_candidates), 0),
    coalesce(sum(single_candidate_turns), 0), coalesce(sum(rejects), 0),
    coalesce(max(max_candidates_per_turn), 0), coalesce(sum(exhaustive_pairs_upper_bound), 0)
FROM rows
ORDER BY run_seq NULLS LAST;
