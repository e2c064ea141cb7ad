-- Every billed charge of each statement, for the CSV beside the PDF: exact amounts from the
-- file and the rounded amount due, which adds up to the statement's total.
SELECT
    s.period, s.pi_email, s.project_id,
    s.charge_id, s.source, s.service, s.resource_id, s.resource_name, s.fund_org,
    c.ChargeCategory AS charge_category,
    c.ChargeClass AS charge_class,
    c.ChargeDescription AS description,
    c.corrects_charge_id AS corrects,
    strftime(c.charge_start, '%Y-%m-%dT%H:%M:%S') AS charge_start,
    c.PricingQuantity AS quantity,
    c.PricingUnit AS unit,
    c.list_cost AS list_cost_exact,
    c.contracted_cost AS contracted_cost_exact,
    c.cost AS charged_exact,
    s.charged AS amount_due,
    c.decision,
    c.decision_reason
FROM statement_charges s
JOIN every_charge c USING (charge_id)
WHERE list_contains($periods, s.period) AND list_contains($periods, c.period)
ORDER BY s.period, s.pi_email NULLS LAST, s.project_id NULLS LAST, s.service, s.resource_id,
    c.charge_start, s.charge_id;
