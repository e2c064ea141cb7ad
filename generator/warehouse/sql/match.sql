-- Charges of one period selected by a review `match` (each field exact or a glob); an
-- approve selects only flagged charges ($flagged_only: the others are billed already).
SELECT n.charge_id, n.pi_email
FROM normalized n
LEFT JOIN (
    SELECT charge_id, list(flag) AS flags FROM flags GROUP BY charge_id
) f USING (charge_id)
WHERE n.period = $period
  AND ($source IS NULL OR n.source GLOB $source)
  AND ($service IS NULL OR n.service GLOB $service)
  AND ($resource IS NULL OR n.resource_id GLOB $resource OR n.resource_name GLOB $resource)
  AND ($pi IS NULL OR coalesce(n.pi_email, '') GLOB $pi)
  AND ($project IS NULL OR coalesce(n.project_id, '') GLOB $project)
  AND ($fund_org IS NULL OR coalesce(n.fund_org, '') GLOB $fund_org)
  AND (NOT $flagged_only OR f.flags IS NOT NULL)
  AND ($flag IS NULL OR list_bool_or(list_transform(coalesce(f.flags, []), lambda x: x GLOB $flag)) IS TRUE)
ORDER BY n.charge_id;
