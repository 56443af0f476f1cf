-- pairs_best_vs_worst: one pair per turn, the best against the worst candidate
-- (NAT's exhaustive_pairs: false), in output order.
-- Reads the table `candidates`. Portable SQL (window functions): transpiled by
-- prefstore.sql_for() for other engines.
-- Parameters: as pairs_exhaustive.sql ($ttc_step_name, $runs, $min_score_diff,
-- $max_pairs_per_turn, $require_multiple_candidates, $reward_from_score_diff).
-- Rows: the same columns as pairs_exhaustive.sql. Ties for best go to the
-- lowest candidate_index, ties for worst to the highest. A turn gives a pair
-- only if best score > worst score and the difference >= $min_score_diff.
WITH selected AS (
    SELECT run_id, example_id, turn_id, candidate_index, prompt, response, score, metadata, seq
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
),
ranked AS (
    SELECT
        s.*,
        row_number() OVER (PARTITION BY run_id, example_id, turn_id
                           ORDER BY score DESC, candidate_index ASC) AS best_rank,
        row_number() OVER (PARTITION BY run_id, example_id, turn_id
                           ORDER BY score ASC, candidate_index DESC) AS worst_rank,
        count(*) OVER (PARTITION BY run_id, example_id, turn_id) AS num_candidates,
        min(seq) OVER (PARTITION BY run_id, example_id, turn_id) AS turn_seq,
        min(seq) OVER (PARTITION BY example_id) AS example_seq
    FROM selected AS s
),
pairs AS (
    SELECT
        c.run_id, c.example_id, c.turn_id, c.prompt,
        c.response AS chosen_response, r.response AS rejected_response,
        c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
        c.candidate_index AS chosen_index, r.candidate_index AS rejected_index,
        c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
        c.num_candidates, c.example_seq, c.turn_seq, c.seq AS chosen_seq, r.seq AS rejected_seq
    FROM ranked AS c
    JOIN ranked AS r
      ON c.run_id = r.run_id AND c.example_id = r.example_id AND c.turn_id = r.turn_id
    WHERE c.best_rank = 1 AND r.worst_rank = 1
      AND c.score > r.score
      AND c.score - r.score >= $min_score_diff
)
SELECT
    run_id, example_id, turn_id, prompt, chosen_response, rejected_response,
    chosen_score, rejected_score, score_diff,
    CASE WHEN $reward_from_score_diff THEN score_diff ELSE chosen_score END AS reward,
    chosen_index, rejected_index, chosen_metadata, rejected_metadata,
    num_candidates, example_seq, turn_seq, 1 AS pair_rank, chosen_seq, rejected_seq
FROM pairs
WHERE ($max_pairs_per_turn IS NULL OR 1 <= $max_pairs_per_turn)
  AND (NOT $require_multiple_candidates OR num_candidates >= 2)
ORDER BY example_seq, turn_seq;
