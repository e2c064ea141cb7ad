-- Charges for `review list`: exact amounts, flags and state.
SELECT
    charge_id,
    period,
    source,
    pi_email,
    project_id,
    fund_org,
    service,
    resource_id AS resource,
    cost AS charged,
    list_cost,
    array_to_string(flags, ' ') AS flags,
    status,
    decision,
    decision_reason
FROM every_charge
WHERE ($period IS NULL OR period = $period)
  AND ($flag IS NULL OR list_bool_or(list_transform(flags, lambda x: x GLOB $flag)) IS TRUE)
  AND CASE $status
        WHEN 'pending' THEN status = 'pending'
        WHEN 'rejected' THEN status = 'rejected'
        WHEN 'approved' THEN decision IN ('approve', 'reassign')
        ELSE true
      END
ORDER BY period, source, charge_id;
