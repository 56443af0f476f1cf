-- review/rule_flags: the pairs the rules in force exclude or flip, from `ruled_pair_rows` (a pair
-- query's rows plus rule_excluded and rule_flipped, composed by prefstore.decisions.ruled_sql).
-- No parameters.
-- Rows: chosen_seq, rejected_seq (before any flip), rule_excluded, rule_flipped; only pairs a rule
-- applies to.
SELECT chosen_seq, rejected_seq, rule_excluded, rule_flipped
FROM ruled_pair_rows
WHERE rule_excluded OR rule_flipped
