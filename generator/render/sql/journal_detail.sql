-- The detail export: the period's statement lines as they are, with discount and subsidy.
SELECT
    period,
    pi_email,
    project_id,
    fund_org,
    source,
    service,
    list_cost,
    list_cost - contracted_cost AS discount,
    contracted_cost - charged AS subsidy,
    charged AS amount,
    charges,
    resources
FROM statement_lines
WHERE period = $period
ORDER BY pi_email NULLS FIRST, project_id NULLS FIRST, fund_org NULLS FIRST, source, service,
         correction;
