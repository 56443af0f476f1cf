-- export/format_trajectories: the rows of the relation `export_batch`
-- (sql/export/batch.sql), each as one JSON object, in output order, for NAT's
-- TrajectoryCollection (built by pairs.py, one trajectory per row, grouped per
-- example). No parameters.
-- Rows: pair (JSON: the pair query's columns by name, plus position and split).
SELECT to_json(b) AS pair
FROM export_batch AS b
ORDER BY b.position
