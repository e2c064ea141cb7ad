-- The largest resources of each statement (by amount due), in order.
SELECT
    period, pi_email, project_id, source, service, resource_id, resource_name, charges,
    list_cost,
    list_cost - contracted_cost AS discount,
    contracted_cost - charged AS subsidy,
    charged
FROM statement_resources
WHERE list_contains($periods, period) AND rank <= $limit
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST, rank;
