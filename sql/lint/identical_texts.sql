-- lint/identical_texts: pairs whose chosen and rejected responses are equal, or equal once
-- whitespace is normalized (trimmed, every run of whitespace one space): they teach nothing.
-- Reads `pair_rows` (the pairs an export would write), `lint_texts` (lint/texts.sql) and
-- `candidates`. No parameters.
-- Rows: into `lint_findings`, one per pair in output order; value = score_diff, detail.exact =
-- the texts are equal byte for byte. (Equal texts normalize equally, so comparing the normalized
-- texts finds both kinds; only the pairs found are read back for `exact`.)
INSERT INTO lint_findings
WITH found AS (
    SELECT p.run_id, p.example_id, p.turn_id, p.chosen_seq, p.rejected_seq, p.score_diff,
           p.example_seq, p.turn_seq, p.pair_rank
    FROM pair_rows AS p
    JOIN lint_texts AS c ON c.seq = p.chosen_seq
    JOIN lint_texts AS r ON r.seq = p.rejected_seq
    WHERE c.normalized = r.normalized
)
SELECT 'identical_texts', 'pair', f.run_id, f.example_id, f.turn_id, f.chosen_seq, f.rejected_seq, f.score_diff,
       json_object('exact', c.response = r.response)
FROM found AS f
JOIN candidates AS c ON c.seq = f.chosen_seq
JOIN candidates AS r ON r.seq = f.rejected_seq
ORDER BY f.example_seq, f.turn_seq, f.pair_rank
