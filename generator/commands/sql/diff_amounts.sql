-- Amount due per period and PI, and per period and project, where it changes: sums of the
-- rounded statement lines, as each statement shows them.
WITH h AS (
    SELECT period, 'pi' AS kind, pi_email AS who, sum(charged) AS amount
    FROM statement_lines GROUP BY ALL
    UNION ALL
    SELECT period, 'project', project_id, sum(charged) FROM statement_lines GROUP BY ALL
),
b AS (
    SELECT period, 'pi' AS kind, pi_email AS who, sum(charged) AS amount
    FROM base.statement_lines GROUP BY ALL
    UNION ALL
    SELECT period, 'project', project_id, sum(charged) FROM base.statement_lines GROUP BY ALL
)
SELECT
    coalesce(h.kind, b.kind) AS kind,
    coalesce(h.period, b.period) AS period,
    coalesce(h.who, b.who) AS who,
    coalesce(b.amount, 0) AS old_amount,
    coalesce(h.amount, 0) AS new_amount
FROM h FULL JOIN b
    ON h.period = b.period AND h.kind = b.kind AND h.who IS NOT DISTINCT FROM b.who
WHERE coalesce(b.amount, 0) <> coalesce(h.amount, 0)
ORDER BY kind, period, who NULLS FIRST;
