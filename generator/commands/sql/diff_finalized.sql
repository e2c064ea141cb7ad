-- Any input file, review file or period record that differs in a period finalized in base
-- or in head. A finalized month never changes silently.
WITH finalized AS (
    SELECT period FROM period_status WHERE status = 'finalized'
    UNION
    SELECT period FROM base.period_status WHERE status = 'finalized'
)
SELECT
    coalesce(h.period, b.period) AS period,
    coalesce(h.name, b.name) AS name,
    CASE WHEN b.name IS NULL THEN 'added' WHEN h.name IS NULL THEN 'removed' ELSE 'changed' END
        AS change
FROM inputs h FULL JOIN base.inputs b USING (period, kind, name)
WHERE h.sha256 IS DISTINCT FROM b.sha256
  AND coalesce(h.period, b.period) IN (SELECT period FROM finalized)
ORDER BY period, name;
