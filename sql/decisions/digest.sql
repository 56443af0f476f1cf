-- decisions/digest: the size and a digest of the whole decision log, for export manifests: the
-- same log gives the same digest. No parameters.
-- Rows: one row: entries (decisions), active (exclude and flip decisions in force), sha256 (hex
-- digest of every decision and target row as JSON, in log order; NULL for an empty log).
SELECT
    (SELECT count(*) FROM decisions) AS entries,
    (SELECT count(*) FROM active_decisions WHERE action IN ('exclude', 'flip')) AS active,
    (SELECT sha256(string_agg(line, chr(10) ORDER BY decision_id, part, line))
     FROM (SELECT decision_id, 0 AS part, CAST(to_json(d) AS VARCHAR) AS line FROM decisions AS d
           UNION ALL
           SELECT decision_id, 1 AS part, CAST(to_json(t) AS VARCHAR) AS line FROM decision_targets AS t)) AS sha256
