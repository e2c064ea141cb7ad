-- Approvals that cannot stand. An approve that names (by ID) a charge that was never flagged
-- would record a decision about nothing: the charge is billed without one. An approve of a
-- charge whose PI email is not a plain address (invalid_pi_email) would bill that "PI":
-- such a charge can only be reassigned (set: pi_email) or rejected.
CREATE OR REPLACE TEMP TABLE refused_approvals AS
SELECT d.charge_id, d.review_file, d.review_line, n.pi_email,
       CASE WHEN f.flags IS NULL THEN 'unflagged' ELSE 'invalid_pi_email' END AS problem
FROM decisions d
JOIN normalized n USING (charge_id)
LEFT JOIN (SELECT charge_id, list(flag) AS flags FROM flags GROUP BY charge_id) f
    USING (charge_id)
WHERE d.action = 'approve'
  AND (f.flags IS NULL OR list_contains(f.flags, 'invalid_pi_email'))
ORDER BY d.review_file, d.review_line, d.charge_id;

-- Not applied: the charge stays as it was (pending, or billed without a decision).
DELETE FROM decisions WHERE charge_id IN (SELECT charge_id FROM refused_approvals);
