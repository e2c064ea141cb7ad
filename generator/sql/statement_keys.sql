-- One statement per (period, PI, project) with billed charges: its summary, a sum of
-- rounded statement lines.
SELECT
    period,
    pi_email,
    project_id,
    string_agg(DISTINCT fund_org, ', ' ORDER BY fund_org) AS fund_org,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged,
    sum(charged) FILTER (WHERE correction) AS corrections
FROM statement_lines
WHERE list_contains($periods, period)
GROUP BY period, pi_email, project_id
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST;
