-- review/neighbors: where one pair sits in `review_filtered`: the previous and next pair and its
-- number, in one pass over the filter result. Reads review_filtered, review_pairs.
-- Parameters: $pos.
-- Rows: one row: prev_chosen, prev_rejected, next_chosen, next_rejected (seqs before any flip, NULL
-- at either end), number (1-based place in the filter result; 0 if the pair is not in it), total.
WITH around AS (
    SELECT max(pos) FILTER (WHERE pos < $pos) AS prev_pos,
           min(pos) FILTER (WHERE pos > $pos) AS next_pos,
           CASE WHEN bool_or(pos = $pos) THEN count(*) FILTER (WHERE pos <= $pos) ELSE 0 END AS number,
           count(*) AS total
    FROM review_filtered
)
SELECT p.chosen_seq AS prev_chosen, p.rejected_seq AS prev_rejected,
       n.chosen_seq AS next_chosen, n.rejected_seq AS next_rejected,
       a.number, a.total
FROM around AS a
LEFT JOIN review_pairs AS p ON p.pos = a.prev_pos
LEFT JOIN review_pairs AS n ON n.pos = a.next_pos
