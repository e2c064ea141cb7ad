-- A statement's table by service (on the statement and on the site's project pages): its
-- statement lines summed over fund/orgs and corrections (the statement lists the corrections
-- again under their own heading).
SELECT
    period,
    pi_email,
    project_id,
    source,
    service,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged
FROM statement_lines
WHERE list_contains($periods, period)
GROUP BY period, pi_email, project_id, source, service
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST, source, service;
