-- review/pairs: the narrow pair rows the review page caches, from `raw_pair_rows` (a pair
-- query's rows, before decisions) and the cached `review_candidates`. No parameters.
-- Rows: pos (1, 2, ... in output order: example_seq, turn_seq, pair_rank), example_seq, turn_seq,
-- pair_rank, chosen_seq, rejected_seq (as the pair query returns them, before any flip: what a
-- decision names), run_id, example_id, turn_id (the chosen candidate's, as the pair query's),
-- chosen_score, rejected_score, score_diff, reward, num_candidates, chosen_len, rejected_len
-- (characters); in pos order. Reading only narrow columns, the pair query never reads a text.
SELECT
    row_number() OVER (ORDER BY p.example_seq, p.turn_seq, p.pair_rank) AS pos,
    p.example_seq, p.turn_seq, p.pair_rank, p.chosen_seq, p.rejected_seq,
    c.run_id, c.example_id, c.turn_id,
    p.chosen_score, p.rejected_score, p.score_diff, p.reward, p.num_candidates,
    c.response_len AS chosen_len, r.response_len AS rejected_len
FROM raw_pair_rows AS p
JOIN review_candidates AS c ON c.seq = p.chosen_seq
JOIN review_candidates AS r ON r.seq = p.rejected_seq
ORDER BY pos
