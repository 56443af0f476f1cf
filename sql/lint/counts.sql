-- lint/counts: per check, how many distinct subjects `lint_findings` holds (pairs, runs, turns,
-- examples; the 'set' row of length_bias is not counted). No parameters.
-- Rows: check_name, subject, findings.
SELECT check_name, subject, count(*) AS findings
FROM lint_findings
WHERE subject <> 'set'
GROUP BY check_name, subject
ORDER BY check_name, subject
