-- check --rederive: each finalized month's reconciliation as frozen ($reconciliation: its
-- record files) against the same month derived again from its files today.
SELECT f.period,
       f.billed_rounded AS frozen_billed, d.billed_rounded AS today_billed,
       f.pending AS frozen_pending, d.pending AS today_pending,
       f.rejected AS frozen_rejected, d.rejected AS today_rejected,
       d.pending_rows AS today_pending_rows
FROM read_parquet($reconciliation) f
LEFT JOIN reconciliation d USING (period)
ORDER BY f.period;
