-- Charges with a flag they did not have in base (new charges included), per period and
-- flag: how many, their exact amount, how many still wait for review, and whose they are.
WITH h AS (
    SELECT charge_id, period, unnest(flags) AS flag, cost, pi_email, status FROM charges
),
b AS (SELECT charge_id, unnest(flags) AS flag FROM base.charges)
SELECT
    period, flag,
    count(*) AS charges,
    sum(cost) AS amount,
    count(*) FILTER (WHERE status = 'pending') AS pending,
    list_sort(list_distinct(list(pi_email))) AS pis,
    count(*) FILTER (WHERE pi_email IS NULL) AS without_pi
FROM h ANTI JOIN b USING (charge_id, flag)
GROUP BY ALL
ORDER BY period, flag;
