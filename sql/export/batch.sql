-- export/batch: the pairs of one export at positions $first..$last, with their
-- texts joined back from `candidates` by seq; the rows the format queries
-- (sql/export/format_*.sql) read as the relation `export_batch`.
-- Parameters: $first, $last (positions, inclusive).
-- Rows: the pair query's columns (run_id, example_id, turn_id, prompt,
-- chosen_response, rejected_response, chosen_score, rejected_score,
-- score_diff, reward, chosen_index, rejected_index, chosen_metadata,
-- rejected_metadata, num_candidates, example_seq, turn_seq, pair_rank,
-- chosen_seq, rejected_seq, base_example_id), plus flipped, position and split
-- from `export_rows`. Unordered: readers
-- order by position. Every pair query takes run_id, example_id, turn_id and
-- prompt from the chosen candidate and computes score_diff as chosen score
-- minus rejected score, so these are the values the pair query returned; a
-- flipped pair (sql/decisions/apply.sql) takes them from its rejected
-- candidate, which the pair query returned as chosen.
SELECT
    CASE WHEN e.flipped THEN r.run_id ELSE c.run_id END AS run_id,
    CASE WHEN e.flipped THEN r.example_id ELSE c.example_id END AS example_id,
    CASE WHEN e.flipped THEN r.turn_id ELSE c.turn_id END AS turn_id,
    CASE WHEN e.flipped THEN r.prompt ELSE c.prompt END AS prompt,
    c.response AS chosen_response, r.response AS rejected_response,
    c.score AS chosen_score, r.score AS rejected_score, c.score - r.score AS score_diff,
    e.reward, c.candidate_index AS chosen_index, r.candidate_index AS rejected_index,
    c.metadata AS chosen_metadata, r.metadata AS rejected_metadata,
    e.num_candidates, e.example_seq, e.turn_seq, e.pair_rank, e.chosen_seq, e.rejected_seq,
    c.base_example_id, e.flipped, e.position, e.split
FROM export_rows AS e
JOIN candidates AS c ON c.seq = e.chosen_seq
JOIN candidates AS r ON r.seq = e.rejected_seq
WHERE e.position BETWEEN $first AND $last
