-- What each budget's charges billed per month and PI: sums of rounded statement lines (so
-- spent to date is what the statements add up to), a correction in the month it is billed.
-- The pending charges are apart: not billed, so in no spent amount and no forecast.
WITH matched AS (
    SELECT b.budget, l.period, l.pi_email, l.charged, 1 AS lines, 0 AS pending_charges,
           0::DECIMAL(38, 18) AS pending
    FROM budgets b JOIN statement_lines l ON b.owner = 'project' AND l.project_id = b.name
    WHERE (len(b.sources) = 0 OR list_contains(b.sources, l.source))
    UNION ALL
    SELECT b.budget, l.period, l.pi_email, l.charged, 1, 0, 0
    FROM budgets b JOIN statement_lines l ON b.owner = 'fund_org' AND l.fund_org = b.name
    WHERE (len(b.sources) = 0 OR list_contains(b.sources, l.source))
    UNION ALL
    SELECT b.budget, c.period, c.pi_email, 0, 0, 1, c.cost
    FROM budgets b JOIN charges c ON b.owner = 'project' AND c.project_id = b.name
    WHERE c.status = 'pending' AND (len(b.sources) = 0 OR list_contains(b.sources, c.source))
    UNION ALL
    SELECT b.budget, c.period, c.pi_email, 0, 0, 1, c.cost
    FROM budgets b JOIN charges c ON b.owner = 'fund_org' AND c.fund_org = b.name
    WHERE c.status = 'pending' AND (len(b.sources) = 0 OR list_contains(b.sources, c.source))
)
SELECT m.budget, m.period, lower(m.pi_email) AS pi_email, sum(m.charged) AS charged,
       sum(m.lines)::INTEGER AS lines, sum(m.pending_charges)::INTEGER AS pending_charges,
       sum(m.pending) AS pending
FROM matched m JOIN budgets b USING (budget)
WHERE m.period >= coalesce(b.first_month, m.period) AND m.period <= coalesce(b.last_month, m.period)
GROUP BY ALL
ORDER BY m.budget, m.period, pi_email NULLS LAST;
