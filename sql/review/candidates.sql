-- review/candidates: the narrow candidate rows the review page caches: no texts, only their
-- lengths and the md5s decisions name candidates and pairs by (sql/decisions/pair_targets.sql).
-- Reads `candidates`. Parameters: $ttc_step_name, $runs (VARCHAR[] or NULL = every run).
-- Rows: seq, run_id, example_id, base_example_id, turn_id, candidate_index, score, response_len (characters),
-- prompt_md5 (md5 of the prompt's JSON text), response_md5; in seq order.
SELECT seq, run_id, example_id, base_example_id, turn_id, candidate_index, score,
       length(response) AS response_len,
       md5(CAST(prompt AS VARCHAR)) AS prompt_md5,
       md5(response) AS response_md5
FROM candidates
WHERE step_name = $ttc_step_name
  AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
ORDER BY seq
