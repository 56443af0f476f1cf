-- decisions/find_pairs: the given (chosen seq, rejected seq) combinations that are two candidates
-- of one base example and step, i.e. could be a pair, with what a decision's context shows of them.
-- Parameters: $chosen_seqs, $rejected_seqs (BIGINT[], the n-th of each naming one combination).
-- Rows: chosen_seq, rejected_seq, run_id, example_id, turn_id, chosen_index, rejected_index,
-- ordered by chosen_seq, rejected_seq; a combination that is not a possible pair is absent.
SELECT k.c AS chosen_seq, k.r AS rejected_seq, c.run_id, c.example_id, c.turn_id,
       c.candidate_index AS chosen_index, r.candidate_index AS rejected_index
FROM (SELECT unnest(CAST($chosen_seqs AS BIGINT[])) AS c, unnest(CAST($rejected_seqs AS BIGINT[])) AS r) AS k
JOIN candidates AS c ON c.seq = k.c
JOIN candidates AS r ON r.seq = k.r
WHERE c.base_example_id = r.base_example_id AND c.step_name = r.step_name
ORDER BY k.c, k.r
