-- ingest/summary: what `checked` holds, for the ingest report.
-- No parameters. Rows: one per (kind, key): kind 'items' (key NULL), 'steps'
-- (key = step name of a TTC_END step), 'candidates' (key = step name),
-- 'rejects' (key = reason). n = how many.
SELECT 'items' AS kind, NULL AS key, count(*) AS n FROM checked WHERE is_marker
UNION ALL
SELECT 'steps', coalesce(step_name_text, '(none)'), count(*) FROM checked
WHERE NOT is_marker AND event_type = 'TTC_END' GROUP BY 2
UNION ALL
SELECT 'candidates', step_name_text, count(*) FROM checked
WHERE NOT is_marker AND reason IS NULL GROUP BY 2
UNION ALL
SELECT 'rejects', reason, count(*) FROM checked WHERE reason IS NOT NULL GROUP BY 2
ORDER BY 1, 2;
