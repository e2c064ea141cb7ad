-- Charges for `charges`: each filter applies when given (NULL: any); tags by exact key
-- ($tag_paths, JSON paths) and exact value ($tag_values), every one of them. Attribution is
-- the effective one (after any reassign): whom the charge is billed to.
SELECT
    charge_id,
    period,
    status AS state,
    decision,
    pi_email,
    project_id,
    fund_org,
    source,
    service,
    resource_id,
    list_cost,
    contracted_cost,
    cost AS charged,
    flags,
    Tags AS tags
FROM every_charge
WHERE ($period IS NULL OR period = $period)
  AND ($pi_email IS NULL OR pi_email = lower(trim($pi_email)))
  AND ($project_id IS NULL OR project_id = $project_id)
  AND ($fund_org IS NULL OR fund_org = $fund_org)
  AND ($service IS NULL OR lower(service) = lower($service))
  AND ($source IS NULL OR source = lower($source))
  AND ($flag IS NULL OR list_bool_or(list_transform(flags, lambda x: x GLOB $flag)) IS TRUE)
  AND ($state IS NULL OR status = $state)
  AND (len($tag_paths) = 0 OR CASE
        WHEN json_valid(Tags) THEN list_bool_and(list_transform(
            list_zip($tag_paths, $tag_values),
            lambda t: coalesce(json_extract_string(Tags, t[1]) = t[2], false))) IS TRUE
        ELSE false
      END)
ORDER BY period, pi_email NULLS FIRST, project_id NULLS FIRST, source, charge_id;
