-- ingest/judge_rollouts: apply the rollout rules of stage_rollouts.sql to `checked`
-- (validate.sql's output): each row listed in `rollout_reasons` is rejected with that
-- reason, which replaces validate.sql's generic one. No parameters.
UPDATE checked
SET reason = r.reason
FROM rollout_reasons AS r
WHERE checked.item_pos = r.item_pos AND checked.step_pos = r.step_pos;
