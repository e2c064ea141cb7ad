-- Per period: status and billed / pending / rejected totals, base → head, where any differs.
-- Billed is the sum of rounded statement lines, as statements show it.
WITH h AS (
    SELECT s.period, s.status, coalesce(r.billed_rounded, 0) AS billed,
           coalesce(r.pending, 0) AS pending, coalesce(r.rejected, 0) AS rejected
    FROM period_status s LEFT JOIN reconciliation r USING (period)
),
b AS (
    SELECT s.period, s.status, coalesce(r.billed_rounded, 0) AS billed,
           coalesce(r.pending, 0) AS pending, coalesce(r.rejected, 0) AS rejected
    FROM base.period_status s LEFT JOIN base.reconciliation r USING (period)
)
SELECT
    coalesce(h.period, b.period) AS period,
    b.status AS old_status, h.status AS new_status,
    coalesce(b.billed, 0) AS old_billed, coalesce(h.billed, 0) AS new_billed,
    coalesce(b.pending, 0) AS old_pending, coalesce(h.pending, 0) AS new_pending,
    coalesce(b.rejected, 0) AS old_rejected, coalesce(h.rejected, 0) AS new_rejected
FROM h FULL JOIN b USING (period)
WHERE b.status IS DISTINCT FROM h.status
   OR old_billed <> new_billed OR old_pending <> new_pending OR old_rejected <> new_rejected
ORDER BY period;
