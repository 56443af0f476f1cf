-- pairs/best_vs_worst: one pair per pair group, the best against the worst
-- candidate (NAT's exhaustive_pairs: false), in output order.
-- A pair group is a turn or a prompt group, by $pair_scope, as in
-- pairs/exhaustive.sql. Reads the table `candidates`. Portable SQL (md5, window
-- functions): transpiled by prefstore.sql_for() for other engines.
-- Parameters: as pairs/exhaustive.sql ($ttc_step_name, $runs, $pair_scope,
-- $min_score_diff, $max_pairs_per_turn, $require_multiple_candidates,
-- $reward_from_score_diff).
-- Rows: the same columns as pairs/exhaustive.sql. Ties for best go to the
-- lowest tie order, ties for worst to the highest (tie order: candidate_index
-- within a turn, arrival within a prompt group). A group gives a pair only if
-- best score > worst score and the difference >= $min_score_diff.
WITH selected AS (
    SELECT
        score, seq, candidate_index,
        CASE WHEN $pair_scope = 'prompt' THEN '' ELSE run_id END AS group_run,
        CASE WHEN $pair_scope = 'prompt' THEN base_example_id ELSE example_id END AS group_example,
        CASE WHEN $pair_scope = 'prompt' THEN md5(CAST(prompt AS VARCHAR)) ELSE turn_id END AS group_key,
        CASE WHEN $pair_scope = 'prompt' THEN seq ELSE candidate_index END AS tie_order
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
),
-- Ranking runs on narrow rows; the wide columns join in once, at the end.
ranked AS (
    SELECT
        s.score, s.seq, s.candidate_index,
        row_number() OVER (PARTITION BY group_run, group_example, group_key
                           ORDER BY score DESC, tie_order ASC) AS best_rank,
        row_number() OVER (PARTITION BY group_run, group_example, group_key
                           ORDER BY score ASC, tie_order DESC) AS worst_rank,
        count(*) OVER (PARTITION BY group_run, group_example, group_key) AS num_candidates,
        min(seq) OVER (PARTITION BY group_run, group_example, group_key) AS turn_seq,
        min(seq) OVER (PARTITION BY group_example) AS example_seq
    FROM selected AS s
),
pairs AS (
    SELECT
        c.num_candidates, c.example_seq, c.turn_seq, c.seq AS chosen_seq, r.seq AS rejected_seq,
        c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
        c.candidate_index AS chosen_index, r.candidate_index AS rejected_index
    FROM ranked AS c
    JOIN ranked AS r
      ON c.turn_seq = r.turn_seq
    WHERE c.best_rank = 1 AND r.worst_rank = 1
      AND c.score > r.score
      AND c.score - r.score >= $min_score_diff
      AND ($max_pairs_per_turn IS NULL OR 1 <= $max_pairs_per_turn)
      AND (NOT $require_multiple_candidates OR c.num_candidates >= 2)
)
SELECT
    c.run_id, c.example_id, c.turn_id, c.prompt,
    c.response AS chosen_response, r.response AS rejected_response,
    k.chosen_score, k.rejected_score, k.score_diff,
    CASE WHEN $reward_from_score_diff THEN k.score_diff ELSE k.chosen_score END AS reward,
    k.chosen_index, k.rejected_index, c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
    k.num_candidates, k.example_seq, k.turn_seq, 1 AS pair_rank, k.chosen_seq, k.rejected_seq,
    c.base_example_id
FROM pairs AS k
JOIN candidates AS c ON c.seq = k.chosen_seq
JOIN candidates AS r ON r.seq = k.rejected_seq
ORDER BY k.example_seq, k.turn_seq;
