-- export/rows: the pairs one export writes, with their position and split,
-- into the temp table `export_rows`. Reads the view `pair_rows` (the pair
-- query's rows for the export's pair options and runs) and `candidates`.
-- Parameters: $order ('file', 'easy-first', 'hard-first'), $example_fraction
-- (keep the easiest fraction of examples, at least one), $dedup (BOOLEAN),
-- $max_pairs (NULL = all), $seed (sampling), $validation_fraction (0 = no
-- validation split), $split_seed.
-- Rows (narrow: no texts; sql/export/batch.sql joins them back by seq, a batch
-- of positions at a time): example_seq, turn_seq, pair_rank, reward,
-- num_candidates, chosen_seq, rejected_seq, flipped (a decision swapped chosen
-- and rejected: the prompt is the rejected candidate's), message_prompt (the prompt is a
-- message list), text_bytes (the three texts' UTF-8 bytes), position (output
-- order; gaps where dedup or sampling dropped a pair) and split ('train' or
-- 'validation'); stored in position order.
-- Steps, in this order:
-- 1. per example over all its pairs: mean reward (summed in pair order so it
--    is bit-identical run to run; only when the order or fraction needs it);
--    easy = higher mean reward, ties by first arrival; keep the easiest
--    max(1, floor(F * examples)).
-- 2. output order: examples by $order (file = first arrival), then turn
--    arrival and pair rank.
-- 3. dedup: keep the first row, in output order, of each (prompt JSON text,
--    chosen, rejected), compared by the md5 of each text.
-- 4. sample: keep the $max_pairs rows with the smallest
--    md5(seed \x1f P \x1f C \x1f R), ties by position, where P, C, R are the
--    md5s of the prompt JSON text, chosen and rejected response as DuckDB's
--    md5_number gives them (the 16 digest bytes as a little-endian unsigned
--    128-bit integer, in decimal).
-- 5. split: an example goes to validation when the first 32 bits of
--    md5(example_id \x1f split_seed), as a fraction of 2^32, are below
--    $validation_fraction. If no example landed in validation (or all did),
--    the one with the smallest (largest) hash moves across, so each side gets
--    at least one example; the caller refuses a split of fewer than two.
-- Every step runs on integer-keyed narrow rows, and each candidate's texts
-- are read once, into hashes: texts carried through these windows, joins and
-- groupings spilled GBs at 12M pairs. Positions need no sort of the pairs: a
-- pair query numbers each turn's pairs 1, 2, ... (pair_rank) and turn_seq
-- names the turn, so a pair's position is the highest rank of each turn
-- before it, summed, plus its rank (decisions may leave gaps in the ranks:
-- positions then have gaps, never collisions).
CREATE OR REPLACE TEMP TABLE export_rows AS
WITH keys AS MATERIALIZED (
    SELECT example_seq, turn_seq, pair_rank, reward, num_candidates, chosen_seq, rejected_seq, flipped
    FROM pair_rows
),
texts AS MATERIALIZED (
    SELECT
        seq,
        example_id,
        CASE WHEN $dedup OR $max_pairs IS NOT NULL THEN md5_number(CAST(prompt AS VARCHAR)) END AS prompt_md5,
        CASE WHEN $dedup OR $max_pairs IS NOT NULL THEN md5_number(response) END AS response_md5,
        strlen(CAST(prompt AS VARCHAR)) AS prompt_bytes,
        strlen(response) AS response_bytes,
        json_type(prompt) = 'ARRAY' AS message_prompt
    FROM candidates
    WHERE seq BETWEEN (SELECT min(least(example_seq, chosen_seq, rejected_seq)) FROM keys)
                  AND (SELECT max(greatest(example_seq, chosen_seq, rejected_seq)) FROM keys)
),
example_stats AS (
    SELECT
        example_seq,
        avg(reward ORDER BY turn_seq, pair_rank)
            FILTER (WHERE $order <> 'file' OR $example_fraction < 1) AS mean_reward
    FROM keys
    GROUP BY example_seq
),
example_rank AS (
    SELECT
        s.example_seq,
        t.example_id,
        row_number() OVER (ORDER BY s.mean_reward DESC, s.example_seq) AS easy_rank,
        row_number() OVER (ORDER BY s.mean_reward ASC, s.example_seq) AS hard_rank,
        row_number() OVER (ORDER BY s.example_seq) AS file_rank,
        count(*) OVER () AS n_examples
    FROM example_stats AS s
    JOIN texts AS t ON t.seq = s.example_seq
),
kept_examples AS (
    SELECT
        example_seq,
        example_id,
        CASE $order
            WHEN 'easy-first' THEN easy_rank
            WHEN 'hard-first' THEN hard_rank
            ELSE file_rank
        END AS order_rank
    FROM example_rank
    WHERE easy_rank <= greatest(1, floor($example_fraction * n_examples + 1e-9))
),
turns AS (
    SELECT turn_seq, example_seq, max(pair_rank) AS n_pairs
    FROM keys
    GROUP BY turn_seq, example_seq
),
turn_offsets AS (
    SELECT
        t.turn_seq,
        coalesce(sum(t.n_pairs) OVER (ORDER BY e.order_rank, t.turn_seq
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS pairs_before
    FROM turns AS t
    JOIN kept_examples AS e ON e.example_seq = t.example_seq
),
ordered AS (
    SELECT
        k.*,
        o.pairs_before + k.pair_rank AS position,
        CASE WHEN k.flipped THEN r.message_prompt ELSE c.message_prompt END AS message_prompt,
        CASE WHEN k.flipped THEN r.prompt_bytes ELSE c.prompt_bytes END
            + c.response_bytes + r.response_bytes AS text_bytes,
        CASE WHEN k.flipped THEN r.prompt_md5 ELSE c.prompt_md5 END AS prompt_md5,
        c.response_md5 AS chosen_md5,
        r.response_md5 AS rejected_md5
    FROM keys AS k
    JOIN turn_offsets AS o ON o.turn_seq = k.turn_seq
    JOIN texts AS c ON c.seq = k.chosen_seq
    JOIN texts AS r ON r.seq = k.rejected_seq
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
         OR row_number() OVER (
                ORDER BY md5(CAST($seed AS VARCHAR) || chr(31) || CAST(prompt_md5 AS VARCHAR) || chr(31)
                             || CAST(chosen_md5 AS VARCHAR) || chr(31) || CAST(rejected_md5 AS VARCHAR)),
                         position) <= $max_pairs
),
example_hash AS (
    SELECT
        e.example_seq,
        e.example_id,
        CAST('0x' || substr(md5(e.example_id || chr(31) || CAST($split_seed AS VARCHAR)), 1, 8) AS UBIGINT)
            / 4294967296.0 AS split_unit
    FROM kept_examples AS e
    WHERE e.example_seq IN (SELECT example_seq FROM sampled)
),
example_side AS (
    SELECT
        example_seq,
        split_unit < $validation_fraction AS in_validation,
        row_number() OVER (ORDER BY split_unit ASC, example_id ASC) AS low_rank,
        row_number() OVER (ORDER BY split_unit DESC, example_id DESC) AS high_rank,
        count(*) FILTER (WHERE split_unit < $validation_fraction) OVER () AS n_validation,
        count(*) OVER () AS n_examples
    FROM example_hash
),
example_split AS (
    SELECT
        example_seq,
        CASE
            WHEN $validation_fraction = 0 THEN 'train'
            WHEN n_validation = 0 AND low_rank = 1 THEN 'validation'
            WHEN n_validation = n_examples AND high_rank = 1 THEN 'train'
            WHEN in_validation THEN 'validation'
            ELSE 'train'
        END AS split
    FROM example_side
)
SELECT
    s.example_seq, s.turn_seq, s.pair_rank, s.reward, s.num_candidates, s.chosen_seq, s.rejected_seq,
    s.flipped, s.message_prompt, s.text_bytes, s.position, x.split
FROM sampled AS s
JOIN example_split AS x ON x.example_seq = s.example_seq
ORDER BY s.position;
