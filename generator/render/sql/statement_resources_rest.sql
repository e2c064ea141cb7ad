-- The resources of each statement beyond the largest ones, summed.
SELECT
    period, pi_email, project_id,
    count(*) AS resources,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged
FROM statement_resources
WHERE list_contains($periods, period) AND rank > $limit
GROUP BY period, pi_email, project_id;
