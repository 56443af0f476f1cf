-- pairs/json: the rows of the relation `pair_rows` (a pair query's, registered
-- by pairs.create_pair_view), each as one JSON object, in output order.
-- No parameters.
-- Rows: pair (JSON: the pair query's columns by name, prompt and metadata as
-- JSON values; pydantic validates it in one pass, pairs.to_pair).
SELECT to_json(p) AS pair
FROM pair_rows AS p
ORDER BY p.example_seq, p.turn_seq, p.pair_rank
