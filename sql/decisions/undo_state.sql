-- decisions/undo_state: what an undo must know of the decision it cancels.
-- Parameters: $decision_id.
-- Rows: none when the log has no such decision; else one: action (of that decision), undone_by
-- (the id of the first undo of it; NULL when it is in force).
SELECT
    action,
    (SELECT min(u.decision_id) FROM decisions AS u WHERE u.action = 'undo' AND u.undoes = $decision_id)
        AS undone_by
FROM decisions
WHERE decision_id = $decision_id
