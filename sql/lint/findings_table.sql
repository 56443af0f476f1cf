-- lint/findings_table: (re)create the temp table `lint_findings` the checks fill, one row per
-- finding. No parameters.
-- Columns: check_name, subject ('pair', 'run', 'turn', 'example' or 'set'), run_id, example_id,
-- turn_id, chosen_seq, rejected_seq (pairs), value (the measured quantity), detail (JSON).
CREATE OR REPLACE TEMP TABLE lint_findings (
    check_name VARCHAR, subject VARCHAR, run_id VARCHAR, example_id VARCHAR, turn_id VARCHAR,
    chosen_seq BIGINT, rejected_seq BIGINT, value DOUBLE, detail JSON
)
