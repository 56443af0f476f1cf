-- review/neighbors: where one pair sits in `review_filtered`: the previous and next pair and its
-- number. Parameters: $pos.
-- Rows: one row: prev_chosen, prev_rejected, next_chosen, next_rejected (seqs before any flip, NULL
-- at either end), number (1-based place in the filter result), total.
SELECT
    (SELECT chosen_seq FROM review_filtered WHERE pos < $pos ORDER BY pos DESC LIMIT 1) AS prev_chosen,
    (SELECT rejected_seq FROM review_filtered WHERE pos < $pos ORDER BY pos DESC LIMIT 1) AS prev_rejected,
    (SELECT chosen_seq FROM review_filtered WHERE pos > $pos ORDER BY pos LIMIT 1) AS next_chosen,
    (SELECT rejected_seq FROM review_filtered WHERE pos > $pos ORDER BY pos LIMIT 1) AS next_rejected,
    (SELECT count(*) FROM review_filtered WHERE pos <= $pos) AS number,
    (SELECT count(*) FROM review_filtered) AS total
