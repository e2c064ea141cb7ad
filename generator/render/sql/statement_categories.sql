-- What a PI looks for apart from usage: credits, refunds, tax, adjustments and purchases
-- (FOCUS ChargeCategory other than Usage) of each statement, by kind, source and service.
-- They are in the service table's amounts already and are shown again, so a credit reads
-- as a credit. Amounts are the charges' shares of their statement lines
-- (statement_detail.sql), so they agree with the lines to the cent. Corrections have a
-- section of their own.
SELECT period, pi_email, project_id, kind, source, service, count(*) AS charges,
       sum(charged) AS charged
FROM (
    SELECT
        s.period, s.pi_email, s.project_id, s.source, s.service, s.charged,
        CASE lower(trim(c.ChargeCategory))
            WHEN 'credit' THEN 'Credit'
            WHEN 'tax' THEN 'Tax'
            WHEN 'adjustment' THEN 'Adjustment'
            WHEN 'purchase' THEN CASE WHEN s.charged < 0 THEN 'Refund' ELSE 'Purchase' END
            ELSE trim(c.ChargeCategory)
        END AS kind
    FROM statement_charges s
    JOIN every_charge c USING (charge_id)
    WHERE NOT s.correction AND list_contains($periods, s.period) AND list_contains($periods, c.period)
      AND coalesce(lower(trim(c.ChargeCategory)), 'usage') NOT IN ('usage', '')
)
GROUP BY ALL
ORDER BY period, pi_email NULLS LAST, project_id NULLS LAST, kind, source, service;
