-- Statement lines summed per PI, period and project (sums of rounded lines);
-- one PI's ($pi_email) or every PI's (NULL).
SELECT
    pi_email,
    period,
    project_id,
    fund_org,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged
FROM statement_lines
WHERE ($pi_email IS NULL OR pi_email = $pi_email) AND ($period IS NULL OR period = $period)
GROUP BY ALL
ORDER BY pi_email, period, project_id, fund_org;
