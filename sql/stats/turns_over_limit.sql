-- stats/turns_over_limit: turns whose exhaustive pair count could exceed a limit.
-- Parameters: $ttc_step_name, $limit (pairs per turn).
-- Rows: run_id, example_id, turn_id, candidates, pairs_upper_bound, largest first.
SELECT run_id, example_id, turn_id, count(*) AS candidates,
       count(*) * (count(*) - 1) // 2 AS pairs_upper_bound
FROM candidates
WHERE step_name = $ttc_step_name
GROUP BY run_id, example_id, turn_id
HAVING count(*) * (count(*) - 1) // 2 > $limit
ORDER BY pairs_upper_bound DESC, run_id, example_id, turn_id
LIMIT 20;
