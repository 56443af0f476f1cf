-- review/pair_row: one pair as a one-row relation with the columns a rule may name (the pair
-- query's), built from its two candidates, to tell which rules in force apply to it. Reads
-- `candidates`. Parameters: $chosen_seq, $rejected_seq (before any flip), $reward, $num_candidates.
-- Rows: one: run_id, example_id, turn_id, prompt, chosen_response, rejected_response,
-- chosen_score, rejected_score, score_diff, reward, chosen_index, rejected_index,
-- chosen_metadata, rejected_metadata, num_candidates.
SELECT c.run_id, c.example_id, c.turn_id, c.prompt,
       c.response AS chosen_response, r.response AS rejected_response,
       c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
       CAST($reward AS DOUBLE) AS reward,
       c.candidate_index AS chosen_index, r.candidate_index AS rejected_index,
       c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
       CAST($num_candidates AS BIGINT) AS num_candidates
FROM candidates AS c, candidates AS r
WHERE c.seq = $chosen_seq AND r.seq = $rejected_seq
