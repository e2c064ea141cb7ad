-- Billed corrections of each statement (ChargeClass = Correction: their own statement
-- lines), one row per charge with its share of its line, and what it corrects when it says.
SELECT
    s.period, s.pi_email, s.project_id, s.charge_id, s.source, s.service, s.resource_name,
    c.corrects_charge_id AS corrects,
    c.corrects_period,
    coalesce(nullif(trim(json_extract_string(c.extra, '$.x_CorrectionReason')), ''),
             c.ChargeDescription) AS description,
    s.charged
FROM statement_charges s
JOIN every_charge c USING (charge_id)
WHERE s.correction AND list_contains($periods, s.period) AND list_contains($periods, c.period)
ORDER BY s.period, s.pi_email NULLS LAST, s.project_id NULLS LAST, c.charge_start,
    s.charge_id;
