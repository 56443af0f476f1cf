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
-- order; gaps where dedup or sampling dropped a pair), split ('train' or
-- 'validation') and group_seq (the first arrival, example_seq, of the pair's
-- group: one per base_example_id); stored in position order.
-- Steps, in this order:
-- Examples group by base_example_id (the `nat eval --reps` copies of one
-- question are one group; otherwise a group is one example).
-- 1. per group over all its pairs: mean reward (summed in pair order so it
--    is bit-identical run to run; only when the order or fraction needs it);
--    easy = higher mean reward, ties by first arrival; keep the easiest
--    max(1, floor(F * groups)).
-- 2. output order: groups by $order (file: no grouping), then examples by
--    first arrival, turn arrival and pair rank.
-- 3. dedup: keep the first row, in output order, of each (prompt JSON text,
--    chosen, rejected), compared by the md5 of each text.
-- 4. sample: keep the $max_pairs rows with the smallest
--    md5(seed \x1f P \x1f C \x1f R), ties by position, where P, C, R are the
--    md5s of the prompt JSON text, chosen and rejected response as DuckDB's
--    md5_number gives them (the 16 digest bytes as a little-endian unsigned
--    128-bit integer, in decimal).
-- 5. split by group: a group goes to validation when the first 32 bits of
--    md5(base_example_id \x1f split_seed), as a fraction of 2^32, are below
--    $validation_fraction. If no group landed in validation (or all did),
--    the one with the smallest (largest) hash moves across, so each side gets
--    at least one group; the caller refuses a split of fewer than two.
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
        CASE WHEN $dedup OR $max_pairs IS NOT NULL THEN md5_number(CAST(prompt AS VARCHAR)) END AS prompt_md5,
        CASE WHEN $dedup OR $max_pairs IS NOT NULL THEN md5_number(response) END AS response_md5,
        strlen(CAST(prompt AS VARCHAR)) AS prompt_bytes,
        strlen(response) AS response_bytes,
        json_type(prompt) = 'ARRAY' AS message_prompt
    FROM candidates
    WHERE seq BETWEEN (SELECT min(least(example_seq, chosen_seq, rejected_seq)) FROM keys)
                  AND (SELECT max(greatest(example_seq, chosen_seq, rejected_seq)) FROM keys)
),
-- Each example's base_example_id, read from its first candidate (every candidate of one example
-- has the same one): one row per example, not a string per pair or per candidate.
examples AS (
    SELECT e.example_seq, c.base_example_id
    FROM (SELECT DISTINCT example_seq FROM keys) AS e
    JOIN candidates AS c ON c.seq = e.example_seq
),
-- A group is every example of one base_example_id (the `nat eval --reps`
-- copies of one question; a group of one otherwise).
group_stats AS (
    SELECT
        x.base_example_id,
        min(k.example_seq) AS group_seq,
        avg(k.reward ORDER BY k.example_seq, k.turn_seq, k.pair_rank)
            FILTER (WHERE $order <> 'file' OR $example_fraction < 1) AS mean_reward
    FROM keys AS k
    JOIN examples AS x ON x.example_seq = k.example_seq
    GROUP BY x.base_example_id
),
group_rank AS (
    SELECT
        base_example_id,
        group_seq,
        row_number() OVER (ORDER BY mean_reward DESC, group_seq) AS easy_rank,
        row_number() OVER (ORDER BY mean_reward ASC, group_seq) AS hard_rank,
        count(*) OVER () AS n_groups
    FROM group_stats
),
kept_examples AS (
    SELECT
        x.example_seq,
        x.base_example_id,
        g.group_seq,
        CASE $order
            WHEN 'easy-first' THEN g.easy_rank
            WHEN 'hard-first' THEN g.hard_rank
            ELSE 0
        END AS group_rank
    FROM examples AS x
    JOIN group_rank AS g ON g.base_example_id = x.base_example_id
    WHERE g.easy_rank <= greatest(1, floor($example_fraction * g.n_groups + 1e-9))
),
turns AS (
    SELECT turn_seq, example_seq, max(pair_rank) AS n_pairs
    FROM keys
    GROUP BY turn_seq, example_seq
),
turn_offsets AS (
    SELECT
        t.turn_seq,
        coalesce(sum(t.n_pairs) OVER (ORDER BY e.group_rank, t.example_seq, t.turn_seq
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
group_hash AS (
    SELECT
        base_example_id,
        CAST('0x' || substr(md5(base_example_id || chr(31) || CAST($split_seed AS VARCHAR)), 1, 8) AS UBIGINT)
            / 4294967296.0 AS split_unit
    FROM (SELECT DISTINCT base_example_id FROM kept_examples
          WHERE example_seq IN (SELECT example_seq FROM sampled))
),
group_side AS (
    SELECT
        base_example_id,
        split_unit < $validation_fraction AS in_validation,
        row_number() OVER (ORDER BY split_unit ASC, base_example_id ASC) AS low_rank,
        row_number() OVER (ORDER BY split_unit DESC, base_example_id DESC) AS high_rank,
        count(*) FILTER (WHERE split_unit < $validation_fraction) OVER () AS n_validation,
        count(*) OVER () AS n_groups
    FROM group_hash
),
group_split AS (
    SELECT
        base_example_id,
        CASE
            WHEN $validation_fraction = 0 THEN 'train'
            WHEN n_validation = 0 AND low_rank = 1 THEN 'validation'
            WHEN n_validation = n_groups AND high_rank = 1 THEN 'train'
            WHEN in_validation THEN 'validation'
            ELSE 'train'
        END AS split
    FROM group_side
)
SELECT
    s.example_seq, s.turn_seq, s.pair_rank, s.reward, s.num_candidates, s.chosen_seq, s.rejected_seq,
    s.flipped, s.message_prompt, s.text_bytes, s.position, x.split, e.group_seq
FROM sampled AS s
JOIN kept_examples AS e ON e.example_seq = s.example_seq
JOIN group_split AS x ON x.base_example_id = e.base_example_id
ORDER BY s.position;
