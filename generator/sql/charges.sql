-- Stage 5 applied: every charge with its flags, decision and state.
-- billed: no flag, or approved/reassigned; rejected: a reject decision; pending: the rest.

CREATE OR REPLACE TABLE charges AS
SELECT
    n.* EXCLUDE (pi_email, project_id, fund_org),
    coalesce(d.set_pi_email, n.pi_email) AS pi_email,
    coalesce(d.set_project_id, n.project_id) AS project_id,
    coalesce(d.set_fund_org, n.fund_org) AS fund_org,
    n.pi_email AS original_pi_email,
    n.project_id AS original_project_id,
    n.fund_org AS original_fund_org,
    coalesce(f.flags, []) AS flags,
    d.action AS decision,
    d.reason AS decision_reason,
    d.decided_by,
    d.review_file,
    d.review_line,
    CASE
        WHEN d.action = 'reject' THEN 'rejected'
        WHEN d.action IN ('approve', 'reassign') THEN 'billed'
        WHEN f.flags IS NULL THEN 'billed'
        ELSE 'pending'
    END AS status
FROM normalized n
LEFT JOIN (
    SELECT charge_id, list(DISTINCT flag ORDER BY flag) AS flags FROM flags GROUP BY charge_id
) f USING (charge_id)
LEFT JOIN decisions d USING (charge_id);

DROP TABLE normalized;
