-- Input files added, changed or removed, with their rows and totals in base and head.
WITH h AS (
    SELECT i.period, i.name, i.sha256, t.charges, t.total
    FROM inputs i
    LEFT JOIN (SELECT file, count(*) AS charges, sum(cost) AS total FROM charges GROUP BY file) t
        ON t.file = i.name
    WHERE i.kind = 'file'
),
b AS (
    SELECT i.period, i.name, i.sha256, t.charges, t.total
    FROM base.inputs i
    LEFT JOIN (
        SELECT file, count(*) AS charges, sum(cost) AS total FROM base.charges GROUP BY file
    ) t ON t.file = i.name
    WHERE i.kind = 'file'
)
SELECT
    coalesce(h.period, b.period) AS period,
    coalesce(h.name, b.name) AS file,
    CASE WHEN b.name IS NULL THEN 'added' WHEN h.name IS NULL THEN 'removed' ELSE 'changed' END
        AS change,
    b.charges AS old_charges, b.total AS old_total,
    h.charges AS new_charges, h.total AS new_total
FROM h FULL JOIN b USING (name)
WHERE h.sha256 IS DISTINCT FROM b.sha256
ORDER BY period, file;
