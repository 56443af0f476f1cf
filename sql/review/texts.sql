-- review/texts: the texts of a few candidates, for the rows a page shows (never more). Reads
-- `candidates` (the store). Parameters: $seqs (BIGINT[]), $chars (texts are cut to this many
-- characters; the lengths say how long they are).
-- Rows: seq, prompt (JSON text, cut; for the pair page), prompt_last (the last message's content
-- or the string prompt, cut), response (cut), response_len, metadata (JSON text, cut), candidate_index.
SELECT seq,
       left(CAST(prompt AS VARCHAR), $chars) AS prompt,
       length(CAST(prompt AS VARCHAR)) AS prompt_len,
       left(CASE WHEN json_type(prompt) = 'ARRAY' THEN prompt ->> '$[#-1].content'
                 ELSE prompt ->> '$' END, $chars) AS prompt_last,
       left(response, $chars) AS response,
       length(response) AS response_len,
       left(CAST(metadata AS VARCHAR), $chars) AS metadata,
       candidate_index
FROM candidates
WHERE seq IN (SELECT unnest(CAST($seqs AS BIGINT[])))
ORDER BY seq
