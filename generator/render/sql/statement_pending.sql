-- Charges of each (period, PI, project) still waiting for review: not billed, shown apart.
SELECT period, pi_email, project_id, count(*) AS charges, sum(cost) AS amount
FROM charges
WHERE status = 'pending' AND list_contains($periods, period)
GROUP BY period, pi_email, project_id;
