-- The flags that hold most of a period's charges (more than half of its rows): one reason
-- that is likely the config's, not the data's. With an example of the values the flag read.
WITH totals AS (
    SELECT period, count(*) AS n FROM charges GROUP BY period
),
flagged AS (
    SELECT period, unnest(flags) AS flag, cost, fund_org, pi_email, BillingCurrency
    FROM charges WHERE status = 'pending'
)
SELECT f.period, f.flag, count(*) AS charges, t.n AS total, sum(f.cost) AS amount,
       min(f.fund_org) AS fund_org, min(f.pi_email) AS pi_email,
       min(f.BillingCurrency) AS currency
FROM flagged f JOIN totals t USING (period)
GROUP BY f.period, f.flag, t.n
HAVING count(*) * 2 > t.n
ORDER BY f.period, count(*) DESC, f.flag;
