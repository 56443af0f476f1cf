-- 0002_examples: the `examples` view, one row per (step_name, example_id):
-- how much preference signal an example holds, for curriculum ordering.
-- A view takes no parameters, so it shows the DEFAULT pair options of every
-- step name: exhaustive pairs within a turn, strict preferences only
-- (chosen score > rejected score, min_score_diff 0), reward = score_diff.
-- `prefstore export --order/--example-fraction` ranks examples by the same
-- statistics computed over the pairs it exports (its own pair options and
-- runs); under the default options the two agree.
-- Columns: step_name, example_id, runs, turns, candidates, pairs (0 when the
-- example has no strict preference), mean_reward, min_reward, max_reward
-- (NULL without pairs), first_seq (the example's first arrival).
CREATE VIEW examples AS
WITH example_candidates AS (
    SELECT
        step_name,
        example_id,
        count(DISTINCT run_id)              AS runs,
        count(DISTINCT (run_id, turn_id))   AS turns,
        count(*)                            AS candidates,
        min(seq)                            AS first_seq
    FROM candidates
    GROUP BY step_name, example_id
),
example_pairs AS (
    SELECT
        c.step_name,
        c.example_id,
        count(*)                AS pairs,
        avg(c.score - r.score)  AS mean_reward,
        min(c.score - r.score)  AS min_reward,
        max(c.score - r.score)  AS max_reward
    FROM candidates AS c
    JOIN candidates AS r
      ON c.run_id = r.run_id AND c.step_name = r.step_name
     AND c.example_id = r.example_id AND c.turn_id = r.turn_id
     AND c.score > r.score
    GROUP BY c.step_name, c.example_id
)
SELECT
    e.step_name,
    e.example_id,
    e.runs,
    e.turns,
    e.candidates,
    coalesce(p.pairs, 0) AS pairs,
    p.mean_reward,
    p.min_reward,
    p.max_reward,
    e.first_seq
FROM example_candidates AS e
LEFT JOIN example_pairs AS p
  ON p.step_name = e.step_name AND p.example_id = e.example_id;
