-- review/shown_pair: one pair of `review_filtered` (registered with no filter) by its position.
-- Parameters: $pos.
-- Rows: at most one, the columns of review/filtered.sql.
SELECT * FROM review_filtered WHERE pos = $pos
