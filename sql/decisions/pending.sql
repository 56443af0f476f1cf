-- decisions/pending: how many exclude or flip decisions are in force, by target, so that pair
-- queries skip the decision layer when there are none. No parameters.
-- Rows: one row: pairs, candidates, rules (counts of active exclude/flip decisions per target).
SELECT
    count(*) FILTER (WHERE target = 'pairs') AS pairs,
    count(*) FILTER (WHERE target = 'candidates') AS candidates,
    count(*) FILTER (WHERE target = 'rule') AS rules
FROM active_decisions
WHERE action IN ('exclude', 'flip')
