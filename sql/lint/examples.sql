-- lint/examples: the first findings of one check, with short excerpts of the pair's texts, for the
-- lint report. Reads `lint_findings`, `pair_rows` and `lint_texts` (lint/texts.sql).
-- Parameters: $check_name, $limit.
-- Rows: subject, run_id, example_id, turn_id, chosen_seq, rejected_seq, value, detail (JSON),
-- chosen, rejected (the first 80 characters of each response; NULL unless the subject is a pair).
SELECT f.subject, f.run_id, f.example_id, f.turn_id, f.chosen_seq, f.rejected_seq, f.value, f.detail,
       c.excerpt AS chosen, r.excerpt AS rejected
FROM (SELECT *, row_number() OVER () AS finding_no FROM lint_findings WHERE check_name = $check_name) AS f
LEFT JOIN pair_rows AS p ON p.chosen_seq = f.chosen_seq AND p.rejected_seq = f.rejected_seq
LEFT JOIN lint_texts AS c ON c.seq = p.chosen_seq
LEFT JOIN lint_texts AS r ON r.seq = p.rejected_seq
ORDER BY f.finding_no
LIMIT $limit
