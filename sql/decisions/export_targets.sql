-- decisions/export_targets: the targets of the exclude and flip decisions in force, for engines
-- other than DuckDB (written beside `prefstore export-candidates`; the Spark path applies them
-- with sql/decisions/apply.sql). No parameters.
-- Rows: decision_id, action, kind, step_name, base_example_id, prompt_md5, chosen_md5,
-- rejected_md5, response_md5 (the view active_targets), in log order.
SELECT decision_id, action, kind, step_name, base_example_id, prompt_md5, chosen_md5, rejected_md5, response_md5
FROM active_targets
ORDER BY decision_id, kind, base_example_id, prompt_md5, chosen_md5, rejected_md5, response_md5
