-- decisions/candidate_targets: record the candidates one decision names, by content, from their seqs.
-- Parameters: $decision_id, $seqs (BIGINT[]).
-- Rows: one decision_targets row per distinct candidate key (base_example_id, md5 of the prompt's JSON
-- text, md5 of the response) among the seqs that exist.
INSERT INTO decision_targets
SELECT DISTINCT
    $decision_id, 'candidate', NULL, c.base_example_id, md5(CAST(c.prompt AS VARCHAR)), NULL, NULL, md5(c.response)
FROM candidates AS c
WHERE array_contains(CAST($seqs AS BIGINT[]), c.seq)
