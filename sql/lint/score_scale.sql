-- lint/score_scale: pooled runs must share one score scale. Finds (1) runs whose score range is
-- more than $scale_ratio times, or less than 1/$scale_ratio of, the median range of the other
-- runs, or whose median score is further than half that range from the other runs' median
-- median; (2) turns of two or more candidates that all got the same score (no preference).
-- Reads `candidates` and `runs`. Parameters: $ttc_step_name, $runs, $scale_ratio.
-- Rows: into `lint_findings`: 'run' rows (value = the run's range, detail = {median, others_range,
-- others_median}) in ingest order, then 'turn' rows (value = the score, detail = {candidates}) in
-- arrival order.
INSERT INTO lint_findings
WITH selected AS (
    SELECT run_id, example_id, turn_id, score, seq
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
),
per_run AS (
    SELECT s.run_id, min(r.run_seq) AS run_seq, max(s.score) - min(s.score) AS score_range,
           median(s.score) AS median_score
    FROM selected AS s
    JOIN runs AS r ON r.run_id = s.run_id
    GROUP BY s.run_id
),
against AS (
    SELECT a.run_id, a.run_seq, a.score_range, a.median_score,
           median(b.score_range) AS others_range, median(b.median_score) AS others_median
    FROM per_run AS a
    JOIN per_run AS b ON b.run_id <> a.run_id
    GROUP BY a.run_id, a.run_seq, a.score_range, a.median_score
),
odd_runs AS (
    SELECT 'score_scale', 'run', run_id, NULL, NULL, NULL, NULL, score_range,
           json_object('median', median_score, 'others_range', others_range, 'others_median', others_median),
           0 AS part, run_seq AS sort_key
    FROM against
    WHERE (others_range > 0 AND (score_range > $scale_ratio * others_range
                                 OR score_range * $scale_ratio < others_range))
       OR abs(median_score - others_median) > 0.5 * greatest(others_range, score_range)
),
flat_turns AS (
    SELECT 'score_scale', 'turn', run_id, example_id, turn_id, NULL, NULL, min(score),
           json_object('candidates', count(*)), 1 AS part, min(seq) AS sort_key
    FROM selected
    GROUP BY run_id, example_id, turn_id
    HAVING count(*) >= 2 AND min(score) = max(score)
)
SELECT * EXCLUDE (part, sort_key)
FROM (SELECT * FROM odd_runs UNION ALL SELECT * FROM flat_turns)
ORDER BY part, sort_key
