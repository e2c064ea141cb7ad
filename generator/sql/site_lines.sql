-- The site's project pages: every statement line (billed, rounded), in statement order.
SELECT
    period,
    pi_email,
    project_id,
    fund_org,
    source,
    service,
    charges,
    resources,
    list_cost,
    list_cost - contracted_cost AS discount,
    contracted_cost - charged AS subsidy,
    charged
FROM statement_lines
ORDER BY project_id, period, pi_email, fund_org, source, service, correction;
