-- lint/near_ties: pairs whose margin is tiny against their run's score spread: below
-- $near_tie_fraction of the run's score range (max - min over its candidates of the pairs' step
-- name). Such a preference is mostly scorer noise.
-- Reads `pair_rows` and `candidates`. Parameters: $ttc_step_name, $near_tie_fraction.
-- Rows: into `lint_findings`, one per pair in output order; value = |score_diff| / range,
-- detail = {score_diff, run_range}.
INSERT INTO lint_findings
WITH run_range AS (
    SELECT run_id, max(score) - min(score) AS score_range
    FROM candidates
    WHERE step_name = $ttc_step_name
    GROUP BY run_id
)
SELECT 'near_ties', 'pair', p.run_id, p.example_id, p.turn_id, p.chosen_seq, p.rejected_seq,
       abs(p.score_diff) / r.score_range,
       json_object('score_diff', p.score_diff, 'run_range', r.score_range)
FROM pair_rows AS p
JOIN run_range AS r ON r.run_id = p.run_id
WHERE r.score_range > 0 AND abs(p.score_diff) < $near_tie_fraction * r.score_range
ORDER BY p.example_seq, p.turn_seq, p.pair_rank
