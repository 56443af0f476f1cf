-- review/rule_decision: a rule decision in force, shaped as the rows of review/pair_decisions.sql
-- (its rule text in `note`), for the pair page. Parameters: $decision_id.
-- Rows: at most one: decision_id, action, target, note, author, source, created_at, active, undone_by.
SELECT decision_id, action, target, rule AS note, author, source, created_at, true AS active,
       CAST(NULL AS BIGINT) AS undone_by
FROM decisions
WHERE decision_id = $decision_id
