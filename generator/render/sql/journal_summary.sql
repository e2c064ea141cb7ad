-- The summary export: one row per (PI, project, fund/org), summed from statement lines.
SELECT
    period,
    pi_email,
    project_id,
    fund_org,
    sum(charged) AS amount,
    sum(charges) AS charges
FROM statement_lines
WHERE period = $period
GROUP BY ALL
ORDER BY pi_email NULLS FIRST, project_id NULLS FIRST, fund_org NULLS FIRST;
