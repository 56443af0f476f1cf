-- review/targets: the targets of every exclude, flip and note decision in force (notes too, unlike
-- the view active_targets, so the page can show and filter noted pairs). No parameters.
-- Rows: decision_id, action, kind ('pair' or 'candidate'), step_name, base_example_id, prompt_md5,
-- chosen_md5, rejected_md5, response_md5.
SELECT t.decision_id, d.action, t.kind, t.step_name, t.base_example_id, t.prompt_md5,
       t.chosen_md5, t.rejected_md5, t.response_md5
FROM decision_targets AS t
JOIN active_decisions AS d ON d.decision_id = t.decision_id
WHERE d.action IN ('exclude', 'flip', 'note')
