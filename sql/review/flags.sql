-- review/flags: the decisions in force on each cached pair, the way sql/decisions/apply.sql applies
-- them (tests/test_review_browse.py checks the two agree), computed on the page's narrow cache:
-- `review_pairs`, `review_candidates` (md5s), `review_targets`, `review_rule_flags`.
-- Parameters: $ttc_step_name (a pair target names its step).
-- Rows: pos, excluded, flipped, noted (BOOLEAN); only pairs with at least one of them. A pair is
-- excluded by a rule, a pair decision or a decision on either candidate; flipped by a rule or a
-- pair decision; noted by a note on the pair or on either candidate. Exclusion wins over flip in
-- every export; `flipped` here still says a flip is in force. Keys name the base example
-- (example_id less a `nat eval --reps` suffix), as sql/decisions/pair_targets.sql records them.
WITH pair_targets AS (
    SELECT action, base_example_id, prompt_md5, chosen_md5, rejected_md5
    FROM review_targets
    WHERE kind = 'pair' AND step_name = $ttc_step_name
),
candidate_hits AS (
    SELECT DISTINCT c.seq, t.action
    FROM review_targets AS t
    JOIN review_candidates AS c
      ON t.kind = 'candidate' AND c.base_example_id = t.base_example_id
     AND c.prompt_md5 = t.prompt_md5 AND c.response_md5 = t.response_md5
),
pair_hits AS (
    SELECT p.pos,
           bool_or(t.action = 'exclude') AS excluded,
           bool_or(t.action = 'flip') AS flipped,
           bool_or(t.action = 'note') AS noted
    FROM pair_targets AS t
    JOIN review_candidates AS c
      ON c.base_example_id = t.base_example_id AND c.prompt_md5 = t.prompt_md5 AND c.response_md5 = t.chosen_md5
    JOIN review_pairs AS p ON p.chosen_seq = c.seq
    JOIN review_candidates AS r ON r.seq = p.rejected_seq AND r.response_md5 = t.rejected_md5
    GROUP BY p.pos
),
side_hits AS (
    SELECT p.pos, h.action
    FROM review_pairs AS p JOIN candidate_hits AS h ON h.seq = p.chosen_seq
    UNION ALL
    SELECT p.pos, h.action
    FROM review_pairs AS p JOIN candidate_hits AS h ON h.seq = p.rejected_seq
),
by_candidate AS (
    SELECT pos, bool_or(action = 'exclude') AS excluded, bool_or(action = 'note') AS noted
    FROM side_hits
    GROUP BY pos
),
by_rule AS (
    SELECT p.pos, f.rule_excluded, f.rule_flipped
    FROM review_rule_flags AS f
    JOIN review_pairs AS p ON p.chosen_seq = f.chosen_seq AND p.rejected_seq = f.rejected_seq
),
hits AS (
    SELECT pos, excluded, flipped, noted FROM pair_hits
    UNION ALL
    SELECT pos, excluded, false, noted FROM by_candidate
    UNION ALL
    SELECT pos, rule_excluded, rule_flipped, false FROM by_rule
)
SELECT pos, bool_or(excluded) AS excluded, bool_or(flipped) AS flipped, bool_or(noted) AS noted
FROM hits
GROUP BY pos
HAVING bool_or(excluded) OR bool_or(flipped) OR bool_or(noted)
ORDER BY pos
