-- Billed corrections (ChargeClass = 'Correction') of each statement, with the charge each
-- one corrects when the file says (x_CorrectsChargeId).
SELECT
    s.period, s.pi_email, s.project_id, s.charge_id, s.service, s.resource_name,
    json_extract_string(c.extra, '$.x_CorrectsChargeId') AS corrects,
    c.ChargeDescription AS description,
    s.charged
FROM statement_charges s
JOIN charges c USING (charge_id)
WHERE c.ChargeClass = 'Correction' AND list_contains($periods, s.period)
ORDER BY s.period, s.pi_email NULLS LAST, s.project_id NULLS LAST, c.charge_start,
    s.charge_id;
