-- review/locate: one cached pair by the seqs a decision names it by (before any flip).
-- Parameters: $chosen_seq, $rejected_seq.
-- Rows: at most one: pos.
SELECT pos FROM review_pairs WHERE chosen_seq = $chosen_seq AND rejected_seq = $rejected_seq
