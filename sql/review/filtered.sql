-- review/filtered: the cached pairs as the review page shows them (decisions applied, excluded
-- pairs kept and marked), narrowed by the page's filters; registered as `review_filtered`, which
-- review/page.sql, review/count.sql, review/selection.sql and review/neighbors.sql read.
-- Reads review_pairs, review_flags, review_split, review_lint, review_search.
-- Parameters (NULL = no filter): $run_id, $example_id, $split ('train' or 'validation': the
-- example's side in a directory export's default split), $min_margin, $max_margin (|score_diff|),
-- $min_ratio, $max_ratio (chosen length / rejected length, as shown, rejected length at least 1),
-- $check (a lint check name), $state ('excluded', 'flipped', 'noted' or 'none'), $search
-- (BOOLEAN: keep pairs with a hit in review_search).
-- Rows: pos, example_seq, chosen_seq, rejected_seq (before any flip: what a decision names),
-- run_id, example_id, turn_id, chosen_score, rejected_score, score_diff (as shown: negative when
-- flipped), margin, reward, num_candidates, chosen_len, rejected_len (as shown), len_ratio,
-- excluded, flipped, noted, split (NULL: the example exports no pair, or lint has not run yet).
WITH shown AS (
    SELECT
        p.pos, p.example_seq, p.chosen_seq, p.rejected_seq, p.run_id, p.example_id, p.turn_id,
        coalesce(f.flipped, false) AS flipped,
        coalesce(f.excluded, false) AS excluded,
        coalesce(f.noted, false) AS noted,
        CASE WHEN f.flipped THEN p.rejected_score ELSE p.chosen_score END AS chosen_score,
        CASE WHEN f.flipped THEN p.chosen_score ELSE p.rejected_score END AS rejected_score,
        CASE WHEN f.flipped THEN -p.score_diff ELSE p.score_diff END AS score_diff,
        abs(p.score_diff) AS margin,
        p.reward, p.num_candidates,
        CASE WHEN f.flipped THEN p.rejected_len ELSE p.chosen_len END AS chosen_len,
        CASE WHEN f.flipped THEN p.chosen_len ELSE p.rejected_len END AS rejected_len,
        s.split
    FROM review_pairs AS p
    LEFT JOIN review_flags AS f ON f.pos = p.pos
    LEFT JOIN review_split AS s ON s.example_seq = p.example_seq
)
SELECT *, chosen_len / greatest(rejected_len, 1) AS len_ratio
FROM shown
WHERE ($run_id IS NULL OR run_id = $run_id)
  AND ($example_id IS NULL OR example_id = $example_id)
  AND ($split IS NULL OR split = $split)
  AND ($min_margin IS NULL OR margin >= $min_margin)
  AND ($max_margin IS NULL OR margin <= $max_margin)
  AND ($min_ratio IS NULL OR chosen_len / greatest(rejected_len, 1) >= $min_ratio)
  AND ($max_ratio IS NULL OR chosen_len / greatest(rejected_len, 1) <= $max_ratio)
  AND ($check IS NULL OR pos IN (SELECT pos FROM review_lint WHERE check_name = $check))
  AND ($state IS NULL
       OR ($state = 'excluded' AND excluded)
       OR ($state = 'flipped' AND flipped)
       OR ($state = 'noted' AND noted)
       OR ($state = 'none' AND NOT (excluded OR flipped OR noted)))
  AND (NOT $search
       OR chosen_seq IN (SELECT seq FROM review_search)
       OR rejected_seq IN (SELECT seq FROM review_search WHERE in_response))
