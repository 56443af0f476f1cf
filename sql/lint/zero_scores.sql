-- lint/zero_scores: runs where many candidates score exactly 0.0: at least $zero_share of them
-- and at least $zero_min. NAT's LLM scorers turn a reply they cannot parse into 0.0, so a pile
-- of zeros is usually failed scoring, not bad answers.
-- Reads `candidates` and `runs`. Parameters: $ttc_step_name, $runs (VARCHAR[] or NULL),
-- $zero_share, $zero_min.
-- Rows: into `lint_findings`, one 'run' row per such run in ingest order; value = share of
-- zeros, detail = {zeros, candidates}.
INSERT INTO lint_findings
SELECT 'zero_scores', 'run', s.run_id, NULL, NULL, NULL, NULL, s.zeros / s.candidates,
       json_object('zeros', s.zeros, 'candidates', s.candidates)
FROM (SELECT c.run_id, count(*) AS candidates, count(*) FILTER (WHERE c.score = 0) AS zeros
      FROM candidates AS c
      WHERE c.step_name = $ttc_step_name
        AND ($runs IS NULL OR array_contains(CAST($runs AS VARCHAR[]), c.run_id))
      GROUP BY c.run_id) AS s
JOIN runs AS r ON r.run_id = s.run_id
WHERE s.zeros >= $zero_min AND s.zeros >= $zero_share * s.candidates
ORDER BY r.run_seq
