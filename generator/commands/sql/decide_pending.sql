-- `review approve|reject|reassign --all -p YYYY-MM`: every charge of $period that waits
-- for a decision, with the PI it came with (a department decides only its own charges).
SELECT charge_id, period, decision, review_file, original_pi_email
FROM charges
WHERE status = 'pending' AND period = $period
ORDER BY charge_id;
