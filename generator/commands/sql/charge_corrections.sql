-- The corrections billed against a charge (rows of later periods naming it), oldest first.
SELECT
    charge_id,
    period,
    status AS state,
    cost AS charged,
    coalesce(json_extract_string(extra, '$.x_CorrectionReason'), ChargeDescription) AS reason
FROM every_charge
WHERE corrects_charge_id = $charge_id
ORDER BY period, charge_id;
