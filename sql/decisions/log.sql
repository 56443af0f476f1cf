-- decisions/log: every decision in log order, with its target count and whether it is in force.
-- No parameters.
-- Rows: decision_id, action, target, rule, undoes, note, author, source, created_at, context
-- (JSON), targets (rows in decision_targets), undone_by (the undo's decision_id, or NULL),
-- active (BOOLEAN: not undone and not an undo).
SELECT
    d.decision_id, d.action, d.target, d.rule, d.undoes, d.note, d.author, d.source, d.created_at,
    d.context,
    (SELECT count(*) FROM decision_targets AS t WHERE t.decision_id = d.decision_id) AS targets,
    (SELECT min(u.decision_id) FROM decisions AS u WHERE u.action = 'undo' AND u.undoes = d.decision_id) AS undone_by,
    d.decision_id IN (SELECT decision_id FROM active_decisions) AS active
FROM decisions AS d
ORDER BY d.decision_id
