-- decisions/target_matches: for each decision with targets, how many of its targets match now:
-- pair targets a pair of the relation `raw_pair_rows` (the pairs of the listing's pair options,
-- before decisions), candidate targets a stored candidate. Pairs are keyed through the md5s of
-- their candidates, each candidate of a named base example hashed once (as sql/decisions/apply.sql).
-- Parameters: $ttc_step_name.
-- Rows: decision_id, matches.
WITH keyed AS (
    SELECT seq, base_example_id, md5(CAST(prompt AS VARCHAR)) AS prompt_md5, md5(response) AS response_md5
    FROM candidates
    WHERE base_example_id IN (SELECT base_example_id FROM decision_targets)
),
pair_keys AS (
    SELECT DISTINCT c.base_example_id, c.prompt_md5, c.response_md5 AS chosen_md5, r.response_md5 AS rejected_md5
    FROM raw_pair_rows AS p
    JOIN keyed AS c ON c.seq = p.chosen_seq
    JOIN keyed AS r ON r.seq = p.rejected_seq
),
candidate_keys AS (
    SELECT DISTINCT base_example_id, prompt_md5, response_md5
    FROM keyed
)
SELECT t.decision_id,
       count(*) FILTER (WHERE (t.kind = 'pair' AND t.step_name = $ttc_step_name AND EXISTS (
                                   SELECT 1 FROM pair_keys AS p
                                   WHERE p.base_example_id = t.base_example_id AND p.prompt_md5 = t.prompt_md5
                                     AND p.chosen_md5 = t.chosen_md5 AND p.rejected_md5 = t.rejected_md5))
                            OR (t.kind = 'candidate' AND EXISTS (
                                   SELECT 1 FROM candidate_keys AS c
                                   WHERE c.base_example_id = t.base_example_id AND c.prompt_md5 = t.prompt_md5
                                     AND c.response_md5 = t.response_md5))) AS matches
FROM decision_targets AS t
GROUP BY t.decision_id
