-- check --rederive: what each PI's project is billed in a finalized month, as frozen ($lines:
-- the record files of its statement lines) and as derived again today; the ones that differ.
WITH frozen AS (
    SELECT period, pi_email, project_id, sum(charged) AS amount
    FROM read_parquet($lines) GROUP BY ALL
),
today AS (
    SELECT period, pi_email, project_id, sum(charged) AS amount
    FROM statement_lines WHERE list_contains($periods, period) GROUP BY ALL
)
SELECT period, pi_email, project_id,
       coalesce(f.amount, 0) AS frozen, coalesce(t.amount, 0) AS today
FROM frozen f
FULL OUTER JOIN today t USING (period, pi_email, project_id)
WHERE coalesce(f.amount, 0) <> coalesce(t.amount, 0)
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST;
