-- ingest/read_settings: the session settings that decide whether prefstore.ingest
-- reads a big NAT file as pieces in parallel. No parameters.
-- Rows: one, `threads` BIGINT (DuckDB's worker threads) and `ordered` BOOLEAN
-- (preserve_insertion_order: stage_nat_eval_typed.sql numbers items in
-- insertion order, which DuckDB may change when it is off).
SELECT
    CAST(current_setting('threads') AS BIGINT) AS threads,
    CAST(current_setting('preserve_insertion_order') AS BOOLEAN) AS ordered;
