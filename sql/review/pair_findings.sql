-- review/pair_findings: the lint checks that found something about one cached pair (review_lint).
-- Parameters: $pos.
-- Rows: check_name, by name.
SELECT check_name FROM review_lint WHERE pos = $pos ORDER BY check_name
