-- Stage 6: statement lines. One line per (period, PI, project, fund/org, source, service,
-- correction) of billed charges; each amount rounded half away from zero to the currency's
-- minor unit. Every total anywhere is a sum of these rounded lines. Corrections
-- (ChargeClass = Correction) get lines of their own, so a statement can show them in a
-- section of their own whose total is still a sum of lines.

CREATE OR REPLACE TABLE statement_lines AS
SELECT
    period,
    pi_email,
    project_id,
    fund_org,
    source,
    service,
    correction,
    round(sum(list_cost), $minor_units) AS list_cost,
    round(sum(contracted_cost), $minor_units) AS contracted_cost,
    round(sum(cost), $minor_units) AS charged,
    count(*) AS charges,
    count(DISTINCT resource_id) AS resources
FROM charges
WHERE status = 'billed'
GROUP BY ALL;

CREATE OR REPLACE TABLE reconciliation AS
SELECT
    period,
    count(*) AS input_rows,
    sum(cost) AS input_total,
    coalesce(sum(cost) FILTER (WHERE status = 'billed'), 0) AS billed,
    coalesce(sum(cost) FILTER (WHERE status = 'pending'), 0) AS pending,
    coalesce(sum(cost) FILTER (WHERE status = 'rejected'), 0) AS rejected,
    count(*) FILTER (WHERE status = 'billed') AS billed_rows,
    count(*) FILTER (WHERE status = 'pending') AS pending_rows,
    count(*) FILTER (WHERE status = 'rejected') AS rejected_rows,
    (SELECT coalesce(sum(charged), 0) FROM statement_lines s WHERE s.period = c.period)
        AS billed_rounded
FROM charges c
GROUP BY period
ORDER BY period;
