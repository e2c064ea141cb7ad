-- What each PI's project was billed per period: sums of rounded statement lines.
-- One row per statement (period, PI, project), in statement order: the statements (their
-- summaries and trend charts), the PI and project pages and the indexes use it.
SELECT
    period,
    pi_email,
    project_id,
    string_agg(DISTINCT fund_org, ', ' ORDER BY fund_org) AS fund_org,
    sum(charges) AS charges,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged,
    sum(charged) FILTER (WHERE correction) AS corrections
FROM statement_lines
GROUP BY period, pi_email, project_id
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST;
