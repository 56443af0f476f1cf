-- decisions/find_candidates: the candidates with the given seqs, with what a decision's context
-- shows of them. Parameters: $seqs (BIGINT[]).
-- Rows: seq, run_id, example_id, turn_id, candidate_index, ordered by seq; an unknown seq is absent.
SELECT seq, run_id, example_id, turn_id, candidate_index
FROM candidates
WHERE array_contains(CAST($seqs AS BIGINT[]), seq)
ORDER BY seq
