-- review/page: one page of `review_filtered`, by keyset on pos (output order): the first $limit
-- rows after $after, or the last $limit rows before $before (then in descending pos; the caller
-- reverses them). Parameters: $after, $before (NULL or a pos), $limit.
-- Rows: the columns of review/filtered.sql.
SELECT *
FROM review_filtered
WHERE ($after IS NULL OR pos > $after)
  AND ($before IS NULL OR pos < $before)
ORDER BY CASE WHEN $before IS NULL THEN pos ELSE -pos END
LIMIT $limit
