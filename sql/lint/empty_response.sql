-- lint/empty_response: pairs whose chosen or rejected response is empty or only whitespace.
-- Reads `pair_rows`. No parameters.
-- Rows: into `lint_findings`, one per pair in output order; value = score_diff, detail.side =
-- 'chosen', 'rejected' or 'both'.
INSERT INTO lint_findings
SELECT 'empty_response', 'pair', run_id, example_id, turn_id, chosen_seq, rejected_seq, score_diff,
       json_object('side', CASE WHEN chosen_blank AND rejected_blank THEN 'both'
                                WHEN chosen_blank THEN 'chosen' ELSE 'rejected' END)
FROM (SELECT *, regexp_full_match(chosen_response, '\s*') AS chosen_blank,
             regexp_full_match(rejected_response, '\s*') AS rejected_blank
      FROM pair_rows)
WHERE chosen_blank OR rejected_blank
ORDER BY example_seq, turn_seq, pair_rank
