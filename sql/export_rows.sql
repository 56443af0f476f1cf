-- export_rows: the pairs one export writes, with their split, into the temp
-- table `export_rows`. Reads the view `pair_rows` (the pair query's rows for
-- the export's pair options and runs).
-- Parameters: $order ('file', 'easy-first', 'hard-first'), $example_fraction
-- (keep the easiest fraction of examples, at least one), $dedup (BOOLEAN),
-- $max_pairs (NULL = all), $seed (sampling), $validation_fraction (0 = no
-- validation split), $split_seed.
-- Rows: every pair_rows column, plus mean_reward (the example's), position
-- (output order) and split ('train' or 'validation'); readers order by position.
-- Steps, in this order:
-- 1. per example over all its pairs: count, mean reward (summed in pair order
--    so it is bit-identical run to run); easy = higher mean reward, ties by
--    first arrival; keep the easiest max(1, floor(F * examples)).
-- 2. output order: examples by $order (file = first arrival), then turn
--    arrival and pair rank.
-- 3. dedup: keep the first row, in output order, of each (prompt JSON text,
--    chosen, rejected).
-- 4. sample: keep the $max_pairs rows with the smallest
--    md5(seed \x1f prompt \x1f chosen \x1f rejected), ties by position.
-- 5. split: an example goes to validation when the first 32 bits of
--    md5(example_id \x1f split_seed), as a fraction of 2^32, are below
--    $validation_fraction. If no example landed in validation (or all did),
--    the one with the smallest (largest) hash moves across, so each side gets
--    at least one example; the caller refuses a split of fewer than two.
CREATE OR REPLACE TEMP TABLE export_rows AS
WITH pairs AS MATERIALIZED (
    SELECT * FROM pair_rows
),
example_stats AS (
    SELECT
        example_id,
        min(example_seq) AS example_seq,
        avg(reward ORDER BY turn_seq, pair_rank) AS mean_reward
    FROM pairs
    GROUP BY example_id
),
example_rank AS (
    SELECT
        example_id,
        mean_reward,
        row_number() OVER (ORDER BY mean_reward DESC, example_seq) AS easy_rank,
        row_number() OVER (ORDER BY mean_reward ASC, example_seq) AS hard_rank,
        row_number() OVER (ORDER BY example_seq) AS file_rank,
        count(*) OVER () AS n_examples
    FROM example_stats
),
kept_examples AS (
    SELECT
        example_id,
        mean_reward,
        CASE $order
            WHEN 'easy-first' THEN easy_rank
            WHEN 'hard-first' THEN hard_rank
            ELSE file_rank
        END AS order_rank
    FROM example_rank
    WHERE easy_rank <= greatest(1, floor($example_fraction * n_examples + 1e-9))
),
-- From here on a pair is (turn_seq, pair_rank), unique in every pair query:
-- positions, dedup, sampling and the split are computed on narrow rows, and
-- the wide pair rows join in once at the end. Carrying them through these
-- windows and groupings spilled GBs to disk at 1M pairs (5x slower).
ordered AS (
    SELECT
        p.turn_seq,
        p.pair_rank,
        p.example_id,
        k.mean_reward,
        row_number() OVER (ORDER BY k.order_rank, p.turn_seq, p.pair_rank) AS position,
        -- dedup key: the md5 of each text (128 bits each; a collision is not a practical concern)
        md5_number(CAST(p.prompt AS VARCHAR)) AS prompt_md5,
        md5_number(p.chosen_response) AS chosen_md5,
        md5_number(p.rejected_response) AS rejected_md5,
        CASE WHEN $max_pairs IS NOT NULL THEN
            md5(CAST($seed AS VARCHAR) || chr(31) || CAST(p.prompt AS VARCHAR) || chr(31)
                || p.chosen_response || chr(31) || p.rejected_response)
        END AS sample_key
    FROM pairs AS p
    JOIN kept_examples AS k ON p.example_id = k.example_id
),
deduped AS (
    SELECT *
    FROM ordered
    WHERE NOT $dedup
       OR position IN (SELECT min(position) FROM ordered GROUP BY prompt_md5, chosen_md5, rejected_md5)
),
sampled AS (
    SELECT *
    FROM deduped
    QUALIFY $max_pairs IS NULL
         OR row_number() OVER (ORDER BY sample_key, position) <= $max_pairs
),
example_hash AS (
    SELECT
        example_id,
        CAST('0x' || substr(md5(example_id || chr(31) || CAST($split_seed AS VARCHAR)), 1, 8) AS UBIGINT)
            / 4294967296.0 AS split_unit
    FROM sampled
    GROUP BY example_id
),
example_side AS (
    SELECT
        example_id,
        split_unit < $validation_fraction AS in_validation,
        row_number() OVER (ORDER BY split_unit ASC, example_id ASC) AS low_rank,
        row_number() OVER (ORDER BY split_unit DESC, example_id DESC) AS high_rank,
        count(*) FILTER (WHERE split_unit < $validation_fraction) OVER () AS n_validation,
        count(*) OVER () AS n_examples
    FROM example_hash
),
example_split AS (
    SELECT
        example_id,
        CASE
            WHEN $validation_fraction = 0 THEN 'train'
            WHEN n_validation = 0 AND low_rank = 1 THEN 'validation'
            WHEN n_validation = n_examples AND high_rank = 1 THEN 'train'
            WHEN in_validation THEN 'validation'
            ELSE 'train'
        END AS split
    FROM example_side
)
SELECT p.*, s.mean_reward, s.position, x.split
FROM sampled AS s
JOIN pairs AS p ON p.turn_seq = s.turn_seq AND p.pair_rank = s.pair_rank
JOIN example_split AS x ON s.example_id = x.example_id;
