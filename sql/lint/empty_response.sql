-- lint/empty_response: pairs whose chosen or rejected response is empty or only whitespace.
-- Reads `pair_rows` and `lint_texts` (lint/texts.sql). No parameters.
-- Rows: into `lint_findings`, one per pair in output order; value = score_diff, detail.side =
-- 'chosen', 'rejected' or 'both'.
INSERT INTO lint_findings
SELECT 'empty_response', 'pair', p.run_id, p.example_id, p.turn_id, p.chosen_seq, p.rejected_seq, p.score_diff,
       json_object('side', CASE WHEN c.blank AND r.blank THEN 'both'
                                WHEN c.blank THEN 'chosen' ELSE 'rejected' END)
FROM pair_rows AS p
JOIN lint_texts AS c ON c.seq = p.chosen_seq
JOIN lint_texts AS r ON r.seq = p.rejected_seq
WHERE c.blank OR r.blank
ORDER BY p.example_seq, p.turn_seq, p.pair_rank
