-- The PI side of a period's journal: one row per (fund/org, PI, project, source, account,
-- references), signed (a credit, refund or correction can make it negative).
--
-- Built on statement_lines so a project's entries add up to its statement total (a line is
-- keyed by PI, project, fund/org, source, service and whether it holds corrections). A line
-- whose charges carry more than one account (or reference) is split into parts; each part
-- is rounded like the line, and the rounding difference, if any, goes to the line's largest
-- part, so the parts of a line add up to exactly the line's rounded amount.
WITH parts AS (
    SELECT
        c.period,
        c.pi_email,
        c.project_id,
        c.fund_org,
        c.source,
        c.service,
        c.correction,
        s.source_key,
        coalesce(c.account_code, s.account) AS account,
        c.reference_1,
        c.reference_2,
        sum(c.cost) AS exact_amount,
        round(sum(c.cost), $minor_units) AS amount,
        count(*) AS charges
    FROM charges c
    JOIN journal_sources s USING (source)
    WHERE c.status = 'billed' AND c.period = $period
    GROUP BY ALL
),
allocated AS (
    SELECT
        p.*,
        l.charged - sum(p.amount) OVER (
            PARTITION BY p.pi_email, p.project_id, p.fund_org, p.source, p.service, p.correction
        ) AS residual,
        row_number() OVER (
            PARTITION BY p.pi_email, p.project_id, p.fund_org, p.source, p.service, p.correction
            ORDER BY abs(p.exact_amount) DESC, p.account,
                     p.reference_1 NULLS FIRST, p.reference_2 NULLS FIRST
        ) AS part
    FROM parts p
    JOIN statement_lines l
      ON l.period = p.period
     AND l.pi_email IS NOT DISTINCT FROM p.pi_email
     AND l.project_id IS NOT DISTINCT FROM p.project_id
     AND l.fund_org IS NOT DISTINCT FROM p.fund_org
     AND l.source = p.source
     AND l.service = p.service
     AND l.correction = p.correction
)
SELECT
    source_key,
    account,
    fund_org,
    pi_email,
    project_id,
    reference_1,
    reference_2,
    sum(amount + CASE WHEN part = 1 THEN residual ELSE 0 END) AS amount,
    sum(charges) AS charges
FROM allocated
GROUP BY ALL
ORDER BY source_key, account, fund_org NULLS FIRST, pi_email NULLS FIRST,
         project_id NULLS FIRST, reference_1 NULLS FIRST, reference_2 NULLS FIRST;
