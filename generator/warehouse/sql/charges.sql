-- Stage 5 applied: every charge with its flags, decision and state.
-- billed: no flag, or approved/reassigned; rejected: a reject decision; pending: the rest.
-- normalized already holds every charge as billed and unflagged: only the flagged and the
-- decided rows are updated (copying a million wide rows again took longer than the rest).

UPDATE normalized n
SET flags = f.flags, status = 'pending'
FROM (
    SELECT charge_id, list(DISTINCT flag ORDER BY flag) AS flags FROM flags GROUP BY charge_id
) f
WHERE n.charge_id = f.charge_id;

UPDATE normalized n
SET pi_email = coalesce(d.set_pi_email, n.pi_email),
    project_id = coalesce(d.set_project_id, n.project_id),
    fund_org = coalesce(d.set_fund_org, n.fund_org),
    decision = d.action,
    decision_reason = d.reason,
    decided_by = d.decided_by,
    review_file = d.review_file,
    review_line = d.review_line,
    status = CASE WHEN d.action = 'reject' THEN 'rejected' ELSE 'billed' END
FROM decisions d
WHERE n.charge_id = d.charge_id;

ALTER TABLE normalized RENAME TO charges;
