-- Review decisions added (new, or changed from what base had) and removed, grouped as they
-- were written: period, action, reason, by and reassign target. Amounts are the exact
-- charge amounts; PIs and projects are everyone the decision touches (for a reassign, both
-- the charge's original attribution and the new one).
WITH h AS (
    SELECT d.*, c.cost, c.original_pi_email, c.original_project_id, c.pi_email, c.project_id
    FROM decisions d JOIN charges c USING (charge_id)
),
b AS (
    SELECT d.*, c.cost, c.original_pi_email, c.original_project_id, c.pi_email, c.project_id
    FROM base.decisions d JOIN base.charges c USING (charge_id)
),
changed AS (
    SELECT 'added' AS change, h.* FROM h LEFT JOIN b USING (charge_id)
    WHERE b.charge_id IS NULL
       OR row(h.action, h.set_pi_email, h.set_project_id, h.set_fund_org, h.reason)
          IS DISTINCT FROM row(b.action, b.set_pi_email, b.set_project_id, b.set_fund_org, b.reason)
    UNION ALL
    SELECT 'removed' AS change, b.* FROM b LEFT JOIN h USING (charge_id)
    WHERE h.charge_id IS NULL
       OR row(h.action, h.set_pi_email, h.set_project_id, h.set_fund_org, h.reason)
          IS DISTINCT FROM row(b.action, b.set_pi_email, b.set_project_id, b.set_fund_org, b.reason)
)
SELECT
    period, change, action, reason, decided_by, set_pi_email, set_project_id, set_fund_org,
    count(*) AS charges,
    sum(cost) AS amount,
    list_sort(list_distinct(flatten(list([original_pi_email, pi_email])))) AS pis,
    count(*) FILTER (WHERE original_pi_email IS NULL OR pi_email IS NULL) AS without_pi,
    list_sort(list_distinct(flatten(list([original_project_id, project_id])))) AS projects,
    count(*) FILTER (WHERE original_project_id IS NULL OR project_id IS NULL)
        AS without_project
FROM changed
GROUP BY ALL
ORDER BY period, change, action, reason, decided_by;
