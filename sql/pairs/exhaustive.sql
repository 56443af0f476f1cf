-- pairs/exhaustive: every strict preference pair within each pair group (NAT's
-- exhaustive_pairs: true), one row per pair, in output order.
-- A pair group is, by $pair_scope:
--   'turn'   (NAT's): the candidates of one run, example and turn;
--   'prompt' (prefstore's): every candidate of one base example (base_example_id:
--            `nat eval --reps` copies are one example) whose prompt is identical
--            (same md5 of its JSON text), pooled across runs, turns and reps.
-- Reads the table `candidates`. Portable SQL (md5, joins, window functions,
-- standard aggregates): prefstore.sql_for() transpiles this text for other
-- engines, folding what the bound $pair_scope decides.
-- Parameters: $ttc_step_name, $runs (VARCHAR[] or NULL = all runs), $pair_scope,
-- $min_score_diff, $max_pairs_per_turn (NULL = no limit; per pair group),
-- $require_multiple_candidates, $reward_from_score_diff.
-- Rows: run_id, example_id, turn_id, prompt, chosen_response, rejected_response,
-- chosen_score, rejected_score, score_diff, reward, chosen_index,
-- rejected_index, chosen_metadata, rejected_metadata, num_candidates (of the
-- group), example_seq, turn_seq (the group's first arrival), pair_rank,
-- chosen_seq, rejected_seq (the candidates' seq: exports join the texts back by
-- them), base_example_id. Chosen score is strictly greater than rejected score and score_diff >=
-- $min_score_diff. run_id, example_id, turn_id and prompt are the chosen
-- candidate's; each index is its candidate's index in its own turn.
-- Order: examples by first arrival (base examples, in prompt scope), groups by
-- first arrival, then pair_rank
-- (score_diff desc, chosen score desc, chosen tie order asc, rejected score
-- desc, rejected tie order asc; the tie order is the candidate_index within a
-- turn, the arrival (seq) within a prompt group).
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
group_stats AS (
    SELECT group_run, group_example, group_key, count(*) AS num_candidates, min(seq) AS turn_seq
    FROM selected
    GROUP BY group_run, group_example, group_key
),
example_order AS (
    SELECT group_example, min(seq) AS example_seq
    FROM selected
    GROUP BY group_example
),
-- Pairing, ranking and filtering run on narrow rows keyed by integers: a group
-- by its turn_seq (unique: seq is unique store-wide), a candidate by its seq.
-- The wide columns (prompt, responses, metadata) join in once, at the end;
-- carried through the self-join and windows they made the query 3x slower.
keyed AS (
    SELECT g.turn_seq, g.num_candidates, e.example_seq, s.candidate_index, s.tie_order, s.score, s.seq
    FROM selected AS s
    JOIN group_stats AS g
      ON s.group_run = g.group_run AND s.group_example = g.group_example AND s.group_key = g.group_key
    JOIN example_order AS e
      ON s.group_example = e.group_example
    WHERE NOT $require_multiple_candidates OR g.num_candidates >= 2
),
-- With $max_pairs_per_turn = N, only the N best candidates (score desc, tie
-- order asc) can be chosen in the first N pairs: a better chosen candidate
-- always gives a pair ranked ahead (a larger score_diff, or an equal one and a
-- higher chosen score). On the rejected side a worse candidate gives a larger
-- score_diff, but two differences can round to the same double (1.0 - 0.0 and
-- 1.0 - 1e-17), and then the HIGHER rejected score ranks first: so a rejected
-- candidate may pair if it is among the N worst, or if its difference with the
-- chosen one is at least the difference with the N-th worst (worst_n_score).
-- Pairing just those keeps a group of k candidates at about N*N pairs instead
-- of k*(k-1)/2 (5,000 candidates: 100 vs 12.5M).
ranks AS (
    SELECT
        k.*,
        row_number() OVER (PARTITION BY turn_seq ORDER BY score DESC, tie_order ASC) AS best_rank,
        row_number() OVER (PARTITION BY turn_seq ORDER BY score ASC, tie_order ASC) AS worst_rank
    FROM keyed AS k
),
sided AS (
    SELECT
        r.*,
        max(CASE WHEN r.worst_rank <= $max_pairs_per_turn THEN r.score END)
            OVER (PARTITION BY r.turn_seq) AS worst_n_score
    FROM ranks AS r
),
pairs AS (
    SELECT
        c.turn_seq, c.example_seq, c.num_candidates,
        c.seq AS chosen_seq, r.seq AS rejected_seq,
        c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
        c.candidate_index AS chosen_index, r.candidate_index AS rejected_index,
        c.tie_order AS chosen_tie, r.tie_order AS rejected_tie
    FROM sided AS c
    JOIN sided AS r
      ON c.turn_seq = r.turn_seq AND c.score > r.score
    WHERE c.score - r.score >= $min_score_diff
      AND ($max_pairs_per_turn IS NULL
           OR (c.best_rank <= $max_pairs_per_turn
               AND (r.worst_rank <= $max_pairs_per_turn OR c.score - r.score >= c.score - r.worst_n_score)))
),
ranked AS (
    SELECT
        p.*,
        row_number() OVER (
            PARTITION BY p.turn_seq
            ORDER BY p.score_diff DESC, p.chosen_score DESC, p.chosen_tie ASC,
                     p.rejected_score DESC, p.rejected_tie ASC
        ) AS pair_rank
    FROM pairs AS p
)
SELECT
    c.run_id, c.example_id, c.turn_id, c.prompt,
    c.response AS chosen_response, r.response AS rejected_response,
    k.chosen_score, k.rejected_score, k.score_diff,
    CASE WHEN $reward_from_score_diff THEN k.score_diff ELSE k.chosen_score END AS reward,
    k.chosen_index, k.rejected_index, c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
    k.num_candidates, k.example_seq, k.turn_seq, k.pair_rank, k.chosen_seq, k.rejected_seq,
    c.base_example_id
FROM ranked AS k
JOIN candidates AS c ON c.seq = k.chosen_seq
JOIN candidates AS r ON r.seq = k.rejected_seq
WHERE $max_pairs_per_turn IS NULL OR k.pair_rank <= $max_pairs_per_turn
ORDER BY k.example_seq, k.turn_seq, k.pair_rank;
