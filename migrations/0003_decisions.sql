-- 0003_decisions: the append-only decision log of review and curation.
-- A decision excludes, flips or notes pairs or candidates, named by content
-- (so it survives re-ingest and --replace), or states a rule (a boolean SQL
-- expression over the pair columns, checked by sqlglot, evaluated at every
-- export). Undo appends an 'undo' decision naming the one it cancels; no row
-- is ever updated or deleted.
-- Keys: a pair is (step_name, base example id, md5 of the prompt's JSON text,
-- md5 of the chosen response, md5 of the rejected response), the key export
-- dedup compares; a candidate is (base example id, md5 of its prompt's JSON
-- text, md5 of its response). md5 is the lowercase hex digest of the UTF-8
-- text; the base example id is example_id without a `nat eval --reps` suffix
-- (migration 0004), so copies of one question share decisions.

CREATE TABLE decisions (
    decision_id     BIGINT NOT NULL,    -- 1, 2, ... in log order
    action          VARCHAR NOT NULL,   -- 'exclude', 'flip', 'note' or 'undo'
    target          VARCHAR NOT NULL,   -- 'pairs', 'candidates', 'rule' or 'decision' (undo)
    rule            VARCHAR,            -- target 'rule': the predicate, as sqlglot wrote it (DuckDB dialect)
    undoes          BIGINT,             -- action 'undo': the decision it cancels
    note            VARCHAR,            -- free text (the note itself for action 'note')
    author          VARCHAR,
    source          VARCHAR NOT NULL,   -- 'review', 'cli' or 'api'
    created_at      TIMESTAMPTZ NOT NULL,
    context         JSON                -- what the decision was made on (pair options, counts, first target), for listing
);

CREATE TABLE decision_targets (
    decision_id     BIGINT NOT NULL,
    kind            VARCHAR NOT NULL,   -- 'pair' or 'candidate'
    step_name       VARCHAR,            -- pairs only
    base_example_id VARCHAR NOT NULL,
    prompt_md5      VARCHAR NOT NULL,
    chosen_md5      VARCHAR,            -- pairs: the chosen response; candidates: NULL
    rejected_md5    VARCHAR,            -- pairs: the rejected response; candidates: NULL
    response_md5    VARCHAR             -- candidates: the response; pairs: NULL
);

-- Decisions in force: not undone, and not undo records themselves.
CREATE VIEW active_decisions AS
SELECT d.*
FROM decisions AS d
WHERE d.action <> 'undo'
  AND d.decision_id NOT IN (SELECT u.undoes FROM decisions AS u WHERE u.action = 'undo' AND u.undoes IS NOT NULL);

-- The targets of the exclude and flip decisions in force, with their action:
-- what every export applies (sql/decisions/apply.sql).
CREATE VIEW active_targets AS
SELECT t.decision_id, d.action, t.kind, t.step_name, t.base_example_id, t.prompt_md5,
       t.chosen_md5, t.rejected_md5, t.response_md5
FROM decision_targets AS t
JOIN active_decisions AS d ON d.decision_id = t.decision_id
WHERE d.action IN ('exclude', 'flip');
