-- nat/run_counts: the counts the NAT trajectory builder (prefstore.nat) logs
-- for one run, under the metric names of NAT's DPOTrajectoryBuilder, plus
-- counts of the whole store.
-- Parameters: $run_id, $ttc_step_name, $exhaustive_pairs, $min_score_diff,
-- $require_multiple_candidates.
-- Rows: one. Of this run's candidates named $ttc_step_name: total_candidates,
-- total_turns, skipped_single_candidate (turns of one candidate, counted only
-- when $require_multiple_candidates, as NAT does), skipped_score_diff (NAT's
-- meaning: exhaustive, candidate pairs whose score difference is below
-- $min_score_diff; best-vs-worst, turns whose best-worst difference is),
-- skipped_ties (equal-score pairs NAT would emit and prefstore does not:
-- only when $min_score_diff is 0). Then run_rejects (this run's rejects),
-- store_runs and store_candidates (the whole store).
WITH selected AS (
    SELECT example_id, turn_id, candidate_index, score
    FROM candidates
    WHERE run_id = $run_id AND step_name = $ttc_step_name
),
turn_stats AS (
    SELECT example_id, turn_id, count(*) AS n, max(score) - min(score) AS spread
    FROM selected
    GROUP BY example_id, turn_id
),
pair_diffs AS (
    -- every two candidates of a turn, once (ties ordered by candidate_index,
    -- unique within a turn); only for exhaustive pairing
    SELECT c.score - r.score AS diff
    FROM selected AS c
    JOIN selected AS r
      ON c.example_id = r.example_id AND c.turn_id = r.turn_id
     AND (c.score > r.score OR (c.score = r.score AND c.candidate_index < r.candidate_index))
    WHERE $exhaustive_pairs
),
exhaustive AS (
    SELECT
        count(*) FILTER (WHERE diff < $min_score_diff) AS below,
        count(*) FILTER (WHERE diff = 0 AND $min_score_diff = 0) AS ties
    FROM pair_diffs
),
best_vs_worst AS (
    SELECT
        count(*) FILTER (WHERE n >= 2 AND spread < $min_score_diff) AS below,
        count(*) FILTER (WHERE n >= 2 AND spread = 0 AND $min_score_diff = 0) AS ties
    FROM turn_stats
)
SELECT
    (SELECT count(*) FROM selected) AS total_candidates,
    (SELECT count(*) FROM turn_stats) AS total_turns,
    CASE WHEN $require_multiple_candidates THEN (SELECT count(*) FROM turn_stats WHERE n = 1) ELSE 0 END
        AS skipped_single_candidate,
    CASE WHEN $exhaustive_pairs THEN (SELECT below FROM exhaustive) ELSE (SELECT below FROM best_vs_worst) END
        AS skipped_score_diff,
    CASE WHEN $exhaustive_pairs THEN (SELECT ties FROM exhaustive) ELSE (SELECT ties FROM best_vs_worst) END
        AS skipped_ties,
    (SELECT coalesce(sum(n_rejects), 0) FROM runs WHERE run_id = $run_id) AS run_rejects,
    (SELECT count(*) FROM runs) AS store_runs,
    (SELECT count(*) FROM candidates) AS store_candidates;
