-- lint/split_leakage: pairs whose prompt text also occurs in the other split of the default
-- export split (sql/export/rows.sql with a directory's defaults: 20% of examples for validation,
-- split seed 0): the same question on both sides lets validation loss measure memorization.
-- Reads the temp table `export_rows` (filled by the caller) and `candidates`. No parameters.
-- Rows: into `lint_findings`, one per exported pair of a leaking prompt, in export order;
-- value = NULL, detail.split = the pair's split, detail.examples = examples sharing the prompt.
INSERT INTO lint_findings
WITH prompted AS (
    SELECT e.chosen_seq, e.rejected_seq, e.split, e.position,
           CASE WHEN e.flipped THEN e.rejected_seq ELSE e.chosen_seq END AS prompt_seq
    FROM export_rows AS e
),
-- each prompt hashed once per candidate, not once per pair
keys AS (
    SELECT seq, run_id, example_id, turn_id, md5(CAST(prompt AS VARCHAR)) AS prompt_md5
    FROM candidates
    WHERE seq IN (SELECT prompt_seq FROM prompted)
),
sides AS (
    SELECT e.chosen_seq, e.rejected_seq, e.split, e.position, k.run_id, k.example_id, k.turn_id, k.prompt_md5
    FROM prompted AS e
    JOIN keys AS k ON k.seq = e.prompt_seq
),
leaks AS (
    SELECT prompt_md5, count(DISTINCT example_id) AS examples
    FROM sides
    GROUP BY prompt_md5
    HAVING count(DISTINCT split) > 1
)
SELECT 'split_leakage', 'pair', s.run_id, s.example_id, s.turn_id, s.chosen_seq, s.rejected_seq, NULL,
       json_object('split', s.split, 'examples', l.examples)
FROM sides AS s
JOIN leaks AS l ON l.prompt_md5 = s.prompt_md5
ORDER BY s.position
