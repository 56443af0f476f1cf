-- export/format_pairs: the pair query's columns for Python, from the relation
-- `export_batch` (sql/export/batch.sql), in output order: the rows of
-- store.pairs_arrow(). No parameters.
-- Rows: run_id, example_id, turn_id, prompt (JSON text: a JSON string or a
-- list of messages), chosen_response, rejected_response, chosen_score,
-- rejected_score, score_diff, reward, chosen_index, rejected_index,
-- chosen_metadata, rejected_metadata (JSON text or NULL), num_candidates,
-- base_example_id, example_seq, turn_seq, pair_rank, chosen_seq, rejected_seq
-- (the candidates' seq in `candidates`), flipped (a decision swapped chosen and
-- rejected). Every split of `export_rows` (pairs_arrow never splits).
SELECT
    run_id, example_id, turn_id, CAST(prompt AS VARCHAR) AS prompt,
    chosen_response, rejected_response, chosen_score, rejected_score, score_diff, reward,
    chosen_index, rejected_index,
    CAST(chosen_metadata AS VARCHAR) AS chosen_metadata, CAST(rejected_metadata AS VARCHAR) AS rejected_metadata,
    num_candidates, base_example_id, example_seq, turn_seq, pair_rank, chosen_seq, rejected_seq, flipped
FROM export_batch
ORDER BY position
