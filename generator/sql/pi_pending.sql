SELECT period, count(*) AS charges, sum(cost) AS amount
FROM charges
WHERE status = 'pending' AND pi_email = $pi_email AND ($period IS NULL OR period = $period)
GROUP BY period
ORDER BY period;
