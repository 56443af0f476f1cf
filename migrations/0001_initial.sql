-- 0001_initial: the store's tables and the turns view.
-- Identity: a turn is (run_id, example_id, turn_id); a candidate adds
-- step_name and candidate_index. Uniqueness is enforced by the ingest
-- queries (duplicates go to `rejects`), not by an index, so that bulk
-- inserts of millions of rows stay fast and memory stays flat.

CREATE TABLE runs (
    run_id          VARCHAR NOT NULL,   -- explicit, or a digest of the source
    run_seq         INTEGER NOT NULL,   -- ingest order, 1-based; orders output across runs
    source_format   VARCHAR NOT NULL,   -- 'nat_eval', 'nat_items' or 'candidates'
    source_path     VARCHAR,            -- as given at ingest (NULL for in-process items)
    source_sha256   VARCHAR NOT NULL,   -- digest of the source bytes (or of the items)
    ingested_at     TIMESTAMPTZ NOT NULL,
    meta            JSON NOT NULL,      -- user metadata: {"k": "v", ...}
    n_items         BIGINT NOT NULL,    -- items (examples) read
    n_steps         BIGINT NOT NULL,    -- TTC_END steps seen, all step names
    n_candidates    BIGINT NOT NULL,    -- rows stored in candidates
    n_rejects       BIGINT NOT NULL,    -- rows stored in rejects
    prefstore_version VARCHAR NOT NULL
);

CREATE TABLE candidates (
    run_id          VARCHAR NOT NULL,
    example_id      VARCHAR NOT NULL,   -- NAT ids may be ints: 3 is stored as '3'
    turn_id         VARCHAR NOT NULL,
    turn_index      BIGINT,             -- as given (NULL if absent)
    candidate_index BIGINT NOT NULL,    -- as given, else position within the turn
    step_name       VARCHAR NOT NULL,   -- payload.name; pairs filter on it
    prompt          JSON NOT NULL,      -- a JSON string, or a JSON array of {role, content}
    response        VARCHAR NOT NULL,   -- output text ('' for null)
    score           DOUBLE NOT NULL,    -- finite
    step_uuid       VARCHAR,
    metadata        JSON,               -- payload.metadata as given
    item_pos        BIGINT NOT NULL,    -- 1-based position of the item in the source
    step_pos        BIGINT NOT NULL,    -- 1-based position of the step in its item
    seq             BIGINT NOT NULL     -- store-wide order of arrival; orders all output
);

CREATE TABLE rejects (
    run_id          VARCHAR NOT NULL,
    example_id      VARCHAR,
    step_uuid       VARCHAR,
    step_name       VARCHAR,
    item_pos        BIGINT,
    step_pos        BIGINT,             -- NULL when the whole item was rejected
    reason          VARCHAR NOT NULL,
    raw             JSON                -- the step (or item) as it was read
);

CREATE VIEW turns AS
SELECT
    run_id,
    step_name,
    example_id,
    turn_id,
    min(turn_index)                 AS turn_index,
    count(*)                        AS candidates,
    max(score)                      AS best_score,
    min(score)                      AS worst_score,
    max(score) - min(score)         AS spread,
    count(DISTINCT score)           AS distinct_scores,
    min(seq)                        AS first_seq
FROM candidates
GROUP BY run_id, step_name, example_id, turn_id;
