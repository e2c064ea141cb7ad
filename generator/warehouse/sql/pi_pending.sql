-- Charges pending review per PI and period; one PI's ($pi_email) or every PI's (NULL).
SELECT pi_email, period, count(*) AS charges, sum(cost) AS amount
FROM charges
WHERE status = 'pending'
    AND ($pi_email IS NULL OR pi_email = $pi_email)
    AND ($period IS NULL OR period = $period)
GROUP BY pi_email, period
ORDER BY pi_email, period;
