-- review/lint_positions: lint's findings per pair (`lint_pairs`, named by the seqs after flips) as
-- positions of the cached pairs. Reads lint_pairs, review_pairs, review_flags. No parameters.
-- Rows: pos, check_name; distinct, in pos order.
WITH shown AS (
    SELECT p.pos,
           CASE WHEN f.flipped THEN p.rejected_seq ELSE p.chosen_seq END AS chosen_seq,
           CASE WHEN f.flipped THEN p.chosen_seq ELSE p.rejected_seq END AS rejected_seq
    FROM review_pairs AS p
    LEFT JOIN review_flags AS f ON f.pos = p.pos
)
SELECT DISTINCT s.pos, l.check_name
FROM lint_pairs AS l
JOIN shown AS s ON s.chosen_seq = l.chosen_seq AND s.rejected_seq = l.rejected_seq
ORDER BY s.pos, l.check_name
