-- review/candidate_keys: the keys decisions name two candidates by, from the cache.
-- Parameters: $chosen_seq, $rejected_seq.
-- Rows: seq, prompt_md5, response_md5, base_example_id; one per candidate found.
SELECT seq, prompt_md5, response_md5, base_example_id
FROM review_candidates
WHERE seq IN ($chosen_seq, $rejected_seq)
