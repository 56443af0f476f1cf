-- review/search: the candidates whose prompt or response contains a text, case-insensitively
-- (the page's text search; plain substring, no pattern characters). Reads `candidates` (the store).
-- Parameters: $ttc_step_name, $runs (VARCHAR[] or NULL), $text.
-- Rows: seq, in_response (BOOLEAN: the hit is in the response; else only in the prompt). A pair
-- matches when its chosen candidate (prompt or response) or its rejected response hits.
SELECT seq, strpos(lower(response), lower($text)) > 0 AS in_response
FROM candidates
WHERE step_name = $ttc_step_name
  AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), run_id))
  AND (strpos(lower(response), lower($text)) > 0 OR strpos(lower(CAST(prompt AS VARCHAR)), lower($text)) > 0)
