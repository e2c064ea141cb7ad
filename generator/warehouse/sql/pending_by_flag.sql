-- What waits for review, per period and flag (a charge with two flags counts under both).
SELECT period, flag, count(*) AS charges, sum(cost) AS amount
FROM (SELECT period, cost, unnest(flags) AS flag FROM charges WHERE status = 'pending')
GROUP BY ALL
ORDER BY period, flag;
