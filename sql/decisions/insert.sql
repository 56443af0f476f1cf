-- decisions/insert: append one decision to the log.
-- Parameters: $decision_id, $action ('exclude', 'flip', 'note', 'undo'), $target ('pairs',
-- 'candidates', 'rule', 'decision'), $rule (or NULL), $undoes (or NULL), $note, $author, $source,
-- $context (JSON text).
INSERT INTO decisions
VALUES ($decision_id, $action, $target, $rule, $undoes, $note, $author, $source, now(), CAST($context AS JSON))
