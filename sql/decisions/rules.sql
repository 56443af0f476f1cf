-- decisions/rules: the rules in force, in log order. No parameters.
-- Rows: decision_id, action ('exclude' or 'flip'), rule (the predicate's text, DuckDB dialect).
SELECT decision_id, action, rule
FROM active_decisions
WHERE target = 'rule' AND action IN ('exclude', 'flip')
ORDER BY decision_id
