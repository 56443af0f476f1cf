-- decisions/apply: the pair rows of `ruled_pair_rows` with the decisions in force applied.
-- `ruled_pair_rows` is a pair query's rows (sql/pairs/*.sql) plus two BOOLEAN columns,
-- rule_excluded and rule_flipped, that prefstore.decisions composes (with sqlglot) from the
-- active rules. Reads `active_targets` and `candidates`. Portable SQL (md5, joins,
-- bool_or): the Spark path runs it transpiled.
-- Parameters: $ttc_step_name (the step name of the pairs, part of a pair's key).
-- Rows: the pair query's columns, then flipped and excluded (BOOLEAN). A pair is excluded when
-- a rule, a pair decision or a decision on either of its candidates excludes it; it is flipped
-- when a rule or a pair decision flips it. A flipped pair swaps chosen and rejected (response,
-- score, index, metadata, seq); score_diff is chosen minus rejected score, so it is negative;
-- reward, prompt, run_id, example_id, turn_id and the order columns stay the pair's. Keys and
-- rules always refer to the pair as the pair query returned it, before any flip. Order: none
-- (readers order by example_seq, turn_seq, pair_rank).
WITH pair_targets AS (
    SELECT action, base_example_id, prompt_md5, chosen_md5, rejected_md5
    FROM active_targets
    WHERE kind = 'pair' AND step_name = $ttc_step_name
),
-- Each candidate of the paired step in a base example some decision names is hashed once here
-- (prompt and response), not once per pair it is in; the pair rows are read once, in `flagged`.
keyed AS (
    SELECT seq, base_example_id, md5(CAST(prompt AS VARCHAR)) AS prompt_md5, md5(response) AS response_md5
    FROM candidates
    WHERE step_name = $ttc_step_name
      AND base_example_id IN (SELECT base_example_id FROM active_targets
                              WHERE (kind = 'pair' AND step_name = $ttc_step_name)
                                 OR (kind = 'candidate' AND action = 'exclude'))
),
excluded_candidates AS (
    SELECT DISTINCT k.seq
    FROM keyed AS k
    JOIN active_targets AS t
      ON t.kind = 'candidate' AND t.action = 'exclude' AND k.base_example_id = t.base_example_id
     AND k.prompt_md5 = t.prompt_md5 AND k.response_md5 = t.response_md5
),
-- A pair key names the chosen candidate (base example, prompt, response) and the rejected
-- response; the (chosen seq, rejected seq) combinations that fit it meet the pair rows by seq.
pair_hits AS (
    SELECT c.seq AS chosen_seq, r.seq AS rejected_seq,
           bool_or(t.action = 'exclude') AS excluded,
           bool_or(t.action = 'flip') AS flipped
    FROM pair_targets AS t
    JOIN keyed AS c
      ON c.base_example_id = t.base_example_id AND c.prompt_md5 = t.prompt_md5 AND c.response_md5 = t.chosen_md5
    JOIN keyed AS r
      ON r.base_example_id = t.base_example_id AND r.response_md5 = t.rejected_md5
    GROUP BY c.seq, r.seq
),
flagged AS (
    SELECT
        p.*,
        p.rule_flipped OR coalesce(h.flipped, false) AS flip,
        p.rule_excluded OR coalesce(h.excluded, false)
            OR p.chosen_seq IN (SELECT seq FROM excluded_candidates)
            OR p.rejected_seq IN (SELECT seq FROM excluded_candidates) AS drop_pair
    FROM ruled_pair_rows AS p
    LEFT JOIN pair_hits AS h
      ON h.chosen_seq = p.chosen_seq AND h.rejected_seq = p.rejected_seq
)
SELECT
    run_id, example_id, turn_id, prompt,
    CASE WHEN flip THEN rejected_response ELSE chosen_response END AS chosen_response,
    CASE WHEN flip THEN chosen_response ELSE rejected_response END AS rejected_response,
    CASE WHEN flip THEN rejected_score ELSE chosen_score END AS chosen_score,
    CASE WHEN flip THEN chosen_score ELSE rejected_score END AS rejected_score,
    CASE WHEN flip THEN -score_diff ELSE score_diff END AS score_diff,
    reward,
    CASE WHEN flip THEN rejected_index ELSE chosen_index END AS chosen_index,
    CASE WHEN flip THEN chosen_index ELSE rejected_index END AS rejected_index,
    CASE WHEN flip THEN rejected_metadata ELSE chosen_metadata END AS chosen_metadata,
    CASE WHEN flip THEN chosen_metadata ELSE rejected_metadata END AS rejected_metadata,
    num_candidates, example_seq, turn_seq, pair_rank,
    CASE WHEN flip THEN rejected_seq ELSE chosen_seq END AS chosen_seq,
    CASE WHEN flip THEN chosen_seq ELSE rejected_seq END AS rejected_seq,
    base_example_id,
    flip AS flipped,
    drop_pair AS excluded
FROM flagged
