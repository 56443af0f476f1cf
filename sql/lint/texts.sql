-- lint/texts: what the text checks need of each candidate of `pair_rows`, computed once per candidate
-- rather than once per pair side (a candidate sits in many pairs), into the temp table `lint_texts`.
-- Reads `pair_rows` (its seqs) and `candidates`. No parameters.
-- Rows: seq, len (characters), normalized (trimmed, every run of whitespace one space), blank
-- (empty or only whitespace: normalized is empty), excerpt (the first 80 characters).
-- The regular expression runs only on texts it can change: without a tab, newline, form feed,
-- carriage return (the other characters of RE2's \s), a double space or a space at either end,
-- a text is its own normalized form.
CREATE OR REPLACE TEMP TABLE lint_texts AS
WITH texts AS (
    SELECT seq, response,
           CASE WHEN contains(response, '  ') OR contains(response, chr(9)) OR contains(response, chr(10))
                     OR contains(response, chr(12)) OR contains(response, chr(13))
                     OR starts_with(response, ' ') OR ends_with(response, ' ')
                THEN trim(regexp_replace(response, '\s+', ' ', 'g'))
                ELSE response END AS normalized
    FROM candidates
    WHERE seq IN (SELECT chosen_seq FROM pair_rows UNION SELECT rejected_seq FROM pair_rows)
)
SELECT seq, length(response) AS len, normalized, normalized = '' AS blank, left(response, 80) AS excerpt
FROM texts
