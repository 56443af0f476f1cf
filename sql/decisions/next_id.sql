-- decisions/next_id: the id the next decision gets (decisions are numbered 1, 2, ... in log order;
-- the caller holds the store's write lock and transaction). No parameters.
-- Rows: one row: decision_id.
SELECT coalesce(max(decision_id), 0) + 1 AS decision_id FROM decisions
