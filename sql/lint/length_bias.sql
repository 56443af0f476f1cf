-- lint/length_bias: how often the chosen response is the longer one (in characters). A reward
-- that prefers length teaches the policy to pad (Singhal et al., arXiv 2310.03716).
-- Reads `pair_rows` and `lint_texts` (lint/texts.sql). No parameters.
-- Rows: into `lint_findings`, one 'set' row: value = share of longer chosen among pairs of
-- unequal length (NULL without such pairs), detail = {pairs, longer, shorter, equal}. prefstore.lint
-- computes the binomial p-value and decides.
INSERT INTO lint_findings
SELECT 'length_bias', 'set', NULL, NULL, NULL, NULL, NULL,
       longer / nullif(longer + shorter, 0),
       json_object('pairs', pairs, 'longer', longer, 'shorter', shorter, 'equal', pairs - longer - shorter)
FROM (SELECT count(*) AS pairs,
             count(*) FILTER (WHERE c.len > r.len) AS longer,
             count(*) FILTER (WHERE c.len < r.len) AS shorter
      FROM pair_rows AS p
      JOIN lint_texts AS c ON c.seq = p.chosen_seq
      JOIN lint_texts AS r ON r.seq = p.rejected_seq)
