-- lint/pair_findings: every finding of `lint_findings` as the pairs (of `lint_pair_rows`, the pairs
-- lint ran on) it concerns, for filtering pairs by finding (the review page, `prefstore query ...
-- FROM lint_pairs`). Also reads `lint_texts` (lint/texts.sql). It is a lazy relation: it names the
-- materialized tables, never `pair_rows`, which a later `pairs` in the same query rebinds.
-- Parameters: $length_bias (BOOLEAN: the length_bias check fired; its pairs are those whose
-- chosen response is longer).
-- Rows: chosen_seq, rejected_seq, check_name: pair findings as they are; zero_scores: the pairs of
-- such a run with a 0.0 score on either side; score_scale: the pairs of an odd run;
-- dominant_examples: the pairs of such an example.
SELECT chosen_seq, rejected_seq, check_name
FROM lint_findings
WHERE subject = 'pair'
UNION ALL
SELECT p.chosen_seq, p.rejected_seq, f.check_name
FROM lint_pair_rows AS p
JOIN lint_findings AS f ON f.subject = 'run' AND f.run_id = p.run_id
WHERE f.check_name <> 'zero_scores' OR p.chosen_score = 0 OR p.rejected_score = 0
UNION ALL
SELECT p.chosen_seq, p.rejected_seq, f.check_name
FROM lint_pair_rows AS p
JOIN lint_findings AS f ON f.subject = 'example' AND f.example_id = p.example_id
UNION ALL
SELECT p.chosen_seq, p.rejected_seq, 'length_bias'
FROM lint_pair_rows AS p
JOIN lint_texts AS c ON c.seq = p.chosen_seq
JOIN lint_texts AS r ON r.seq = p.rejected_seq
WHERE $length_bias AND c.len > r.len
