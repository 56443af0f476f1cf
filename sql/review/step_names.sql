-- review/step_names: the step names of the store's candidates (what --ttc-step-name may be).
-- No parameters. Rows: step_name, by name.
SELECT DISTINCT step_name FROM candidates ORDER BY step_name
