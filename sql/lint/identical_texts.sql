-- lint/identical_texts: pairs whose chosen and rejected responses are equal, or equal once
-- whitespace is normalized (trimmed, every run of whitespace one space): they teach nothing.
-- Reads `pair_rows` (the pairs an export would write). No parameters.
-- Rows: into `lint_findings`, one per pair in output order; value = score_diff, detail.exact =
-- the texts are equal byte for byte.
INSERT INTO lint_findings
SELECT 'identical_texts', 'pair', run_id, example_id, turn_id, chosen_seq, rejected_seq, score_diff,
       json_object('exact', chosen_response = rejected_response)
FROM pair_rows
WHERE chosen_response = rejected_response
   OR trim(regexp_replace(chosen_response, '\s+', ' ', 'g')) = trim(regexp_replace(rejected_response, '\s+', ' ', 'g'))
ORDER BY example_seq, turn_seq, pair_rank
