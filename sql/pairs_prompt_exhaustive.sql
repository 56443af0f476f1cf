-- pairs_prompt_exhaustive: every strict preference pair among the candidates of
-- one example whose prompts are identical, pooled across runs and turns
-- (pair_scope 'prompt', exhaustive_pairs: true), one row per pair, in output order.
-- Reads the table `candidates`. Portable SQL (md5, joins, window functions):
-- prefstore.sql_for() transpiles this text for other engines.
-- Parameters: as pairs_exhaustive.sql ($ttc_step_name, $runs, $min_score_diff,
-- $max_pairs_per_turn, $require_multiple_candidates, $reward_from_score_diff).
-- Rows: the columns of pairs_exhaustive.sql. A prompt group (example_id, md5 of
-- the prompt's JSON text) takes the place of the turn: run_id, turn_id and
-- chosen_index name the chosen candidate, rejected_index is the rejected
-- candidate's index in its own turn, num_candidates counts the group, turn_seq
-- is the group's first arrival, and $max_pairs_per_turn limits pairs per group.
-- Order: examples by first arrival, groups by first arrival, then pair_rank
-- (score_diff desc, chosen score desc, chosen arrival asc, rejected score desc,
-- rejected arrival asc).
WITH selected AS (
    SELECT run_id, example_id, turn_id, candidate_index, prompt, response, score, metadata, seq,
           md5(CAST(prompt AS VARCHAR)) AS prompt_digest
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
),
group_stats AS (
    SELECT example_id, prompt_digest, count(*) AS num_candidates, min(seq) AS turn_seq
    FROM selected
    GROUP BY example_id, prompt_digest
),
example_order AS (
    SELECT example_id, min(seq) AS example_seq
    FROM selected
    GROUP BY example_id
),
pairs AS (
    SELECT
        c.run_id, c.example_id, c.turn_id, c.prompt_digest, c.prompt,
        c.response AS chosen_response, r.response AS rejected_response,
        c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
        c.candidate_index AS chosen_index, r.candidate_index AS rejected_index,
        c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
        c.seq AS chosen_seq, r.seq AS rejected_seq
    FROM selected AS c
    JOIN selected AS r
      ON c.example_id = r.example_id AND c.prompt_digest = r.prompt_digest
     AND c.score > r.score
    WHERE c.score - r.score >= $min_score_diff
),
ranked AS (
    SELECT
        p.*,
        row_number() OVER (
            PARTITION BY p.example_id, p.prompt_digest
            ORDER BY p.score_diff DESC, p.chosen_score DESC, p.chosen_seq ASC,
                     p.rejected_score DESC, p.rejected_seq ASC
        ) AS pair_rank
    FROM pairs AS p
)
SELECT
    k.run_id, k.example_id, k.turn_id, k.prompt, k.chosen_response, k.rejected_response,
    k.chosen_score, k.rejected_score, k.score_diff,
    CASE WHEN $reward_from_score_diff THEN k.score_diff ELSE k.chosen_score END AS reward,
    k.chosen_index, k.rejected_index, k.chosen_metadata, k.rejected_metadata,
    g.num_candidates, e.example_seq, g.turn_seq, k.pair_rank, k.chosen_seq, k.rejected_seq
FROM ranked AS k
JOIN group_stats AS g
  ON k.example_id = g.example_id AND k.prompt_digest = g.prompt_digest
JOIN example_order AS e
  ON k.example_id = e.example_id
WHERE ($max_pairs_per_turn IS NULL OR k.pair_rank <= $max_pairs_per_turn)
  AND (NOT $require_multiple_candidates OR g.num_candidates >= 2)
ORDER BY e.example_seq, g.turn_seq, k.pair_rank;
