-- review/turn: the candidates of one turn, ranked (the pair page's "other candidates"). Reads the
-- cached `review_candidates`. Parameters: $run_id, $example_id, $turn_id.
-- Rows: seq, candidate_index, score, response_len; best score first, ties by candidate_index.
SELECT seq, candidate_index, score, response_len
FROM review_candidates
WHERE run_id = $run_id AND example_id = $example_id AND turn_id = $turn_id
ORDER BY score DESC, candidate_index
