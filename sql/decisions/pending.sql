-- decisions/pending: whether any exclude or flip decision is in force, so that pair queries
-- skip the decision layer when none is. No parameters.
-- Rows: one row: pending (BOOLEAN).
SELECT EXISTS (SELECT 1 FROM active_decisions WHERE action IN ('exclude', 'flip')) AS pending
