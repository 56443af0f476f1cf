-- decisions/pair_targets: record the pairs one decision names, by content, from the seqs of their
-- chosen and rejected candidates as the pair query returned them (before any flip).
-- Parameters: $decision_id, $chosen_seqs, $rejected_seqs (BIGINT[], parallel lists).
-- Rows: one decision_targets row per distinct key among the pairs whose two candidates exist.
-- Key: the chosen candidate's step_name, base_example_id and prompt,
-- the md5 (lowercase hex) of the prompt's JSON text and of each response.
INSERT INTO decision_targets
SELECT DISTINCT
    $decision_id, 'pair', c.step_name, c.base_example_id, md5(CAST(c.prompt AS VARCHAR)),
    md5(c.response), md5(r.response), NULL
FROM (SELECT unnest(CAST($chosen_seqs AS BIGINT[])) AS chosen_seq,
             unnest(CAST($rejected_seqs AS BIGINT[])) AS rejected_seq) AS k
JOIN candidates AS c ON c.seq = k.chosen_seq
JOIN candidates AS r ON r.seq = k.rejected_seq
WHERE c.base_example_id = r.base_example_id AND c.step_name = r.step_name
