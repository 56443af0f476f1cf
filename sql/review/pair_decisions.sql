-- review/pair_decisions: the decisions that name one pair, by its key or by either candidate's key
-- (sql/decisions/pair_targets.sql, candidate_targets.sql), in log order; rules are not listed here
-- (prefstore.browse tests each rule in force on the pair). Reads `decisions`, `decision_targets`,
-- `active_decisions`.
-- Parameters: $ttc_step_name, $base_example_id, $prompt_md5 (the chosen candidate's prompt, before any
-- flip), $chosen_md5, $rejected_md5 (responses, before any flip), $rejected_prompt_md5.
-- Rows: decision_id, action, target, note, author, source, created_at, active (BOOLEAN),
-- undone_by (the undo's decision_id or NULL).
SELECT d.decision_id, d.action, d.target, d.note, d.author, d.source, d.created_at,
       d.decision_id IN (SELECT decision_id FROM active_decisions) AS active,
       (SELECT min(u.decision_id) FROM decisions AS u WHERE u.action = 'undo' AND u.undoes = d.decision_id) AS undone_by
FROM decisions AS d
WHERE d.decision_id IN (
    SELECT t.decision_id
    FROM decision_targets AS t
    WHERE t.base_example_id = $base_example_id
      AND ((t.kind = 'pair' AND t.step_name = $ttc_step_name AND t.prompt_md5 = $prompt_md5
            AND t.chosen_md5 = $chosen_md5 AND t.rejected_md5 = $rejected_md5)
           OR (t.kind = 'candidate' AND ((t.prompt_md5 = $prompt_md5 AND t.response_md5 = $chosen_md5)
                                         OR (t.prompt_md5 = $rejected_prompt_md5 AND t.response_md5 = $rejected_md5)))))
ORDER BY d.decision_id
