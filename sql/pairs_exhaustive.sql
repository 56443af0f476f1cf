-- pairs_exhaustive: every strict preference pair within each turn (NAT's
-- exhaustive_pairs: true), one row per pair, in output order.
-- Reads the table `candidates`. Portable SQL (joins, window functions, standard
-- aggregates): prefstore.sql_for() transpiles this text for other engines.
-- Parameters: $ttc_step_name, $runs (VARCHAR[] or NULL = all runs),
-- $min_score_diff, $max_pairs_per_turn (NULL = no limit),
-- $require_multiple_candidates, $reward_from_score_diff.
-- Rows: run_id, example_id, turn_id, prompt, chosen_response, rejected_response,
-- chosen_score, rejected_score, score_diff, reward, chosen_index,
-- rejected_index, chosen_metadata, rejected_metadata, num_candidates,
-- example_seq, turn_seq, pair_rank, chosen_seq, rejected_seq (the candidates'
-- seq: exports join the texts back by them). Chosen score is strictly greater
-- than rejected score and score_diff >= $min_score_diff. In every pair query
-- run_id, example_id, turn_id and prompt are the chosen candidate's. Order:
-- examples by first arrival, turns by first arrival, then pair_rank
-- (score_diff desc, chosen score desc, chosen index asc, rejected score desc,
-- rejected index asc).
WITH selected AS (
    SELECT run_id, example_id, turn_id, candidate_index, score, seq
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
),
turn_stats AS (
    SELECT run_id, example_id, turn_id, count(*) AS num_candidates, min(seq) AS turn_seq
    FROM selected
    GROUP BY run_id, example_id, turn_id
),
example_order AS (
    SELECT example_id, min(seq) AS example_seq
    FROM selected
    GROUP BY example_id
),
-- Pairing, ranking and filtering run on narrow rows keyed by integers: a turn
-- by its turn_seq (unique: seq is unique store-wide), a candidate by its seq.
-- The wide columns (prompt, responses, metadata) join in once, at the end;
-- carried through the self-join and windows they made the query 3x slower.
keyed AS (
    SELECT t.turn_seq, t.num_candidates, e.example_seq, s.candidate_index, s.score, s.seq
    FROM selected AS s
    JOIN turn_stats AS t
      ON s.run_id = t.run_id AND s.example_id = t.example_id AND s.turn_id = t.turn_id
    JOIN example_order AS e
      ON s.example_id = e.example_id
    WHERE NOT $require_multiple_candidates OR t.num_candidates >= 2
),
-- With $max_pairs_per_turn = N, only the N best candidates (score desc, index
-- asc) can be chosen and only the N worst (score asc, index asc) rejected in
-- the first N pairs: a better chosen or a worse rejected candidate always
-- gives a pair ranked ahead. Pairing just those keeps a turn of k candidates
-- at N*N pairs instead of k*(k-1)/2 (5,000 candidates: 100 vs 12.5M).
sided AS (
    SELECT
        k.*,
        row_number() OVER (PARTITION BY turn_seq ORDER BY score DESC, candidate_index ASC) AS best_rank,
        row_number() OVER (PARTITION BY turn_seq ORDER BY score ASC, candidate_index ASC) AS worst_rank
    FROM keyed AS k
),
pairs AS (
    SELECT
        c.turn_seq, c.example_seq, c.num_candidates,
        c.seq AS chosen_seq, r.seq AS rejected_seq,
        c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
        c.candidate_index AS chosen_index, r.candidate_index AS rejected_index
    FROM sided AS c
    JOIN sided AS r
      ON c.turn_seq = r.turn_seq AND c.score > r.score
    WHERE c.score - r.score >= $min_score_diff
      AND ($max_pairs_per_turn IS NULL
           OR (c.best_rank <= $max_pairs_per_turn AND r.worst_rank <= $max_pairs_per_turn))
),
ranked AS (
    SELECT
        p.*,
        row_number() OVER (
            PARTITION BY p.turn_seq
            ORDER BY p.score_diff DESC, p.chosen_score DESC, p.chosen_index ASC,
                     p.rejected_score DESC, p.rejected_index ASC
        ) AS pair_rank
    FROM pairs AS p
)
SELECT
    c.run_id, c.example_id, c.turn_id, c.prompt,
    c.response AS chosen_response, r.response AS rejected_response,
    k.chosen_score, k.rejected_score, k.score_diff,
    CASE WHEN $reward_from_score_diff THEN k.score_diff ELSE k.chosen_score END AS reward,
    k.chosen_index, k.rejected_index, c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
    k.num_candidates, k.example_seq, k.turn_seq, k.pair_rank, k.chosen_seq, k.rejected_seq
FROM ranked AS k
JOIN candidates AS c ON c.seq = k.chosen_seq
JOIN candidates AS r ON r.seq = k.rejected_seq
WHERE $max_pairs_per_turn IS NULL OR k.pair_rank <= $max_pairs_per_turn
ORDER BY k.example_seq, k.turn_seq, k.pair_rank;
