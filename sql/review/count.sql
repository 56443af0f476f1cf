-- review/count: how many pairs `review_filtered` holds, by decision state. No parameters.
-- Rows: one row: pairs, excluded, flipped, noted, first_pos, last_pos.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE excluded) AS excluded,
       count(*) FILTER (WHERE flipped) AS flipped,
       count(*) FILTER (WHERE noted) AS noted,
       min(pos) AS first_pos,
       max(pos) AS last_pos
FROM review_filtered
