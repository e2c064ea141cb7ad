-- The flags and PI email of the charges a command names (review approve checks them).
SELECT charge_id, flags, pi_email
FROM charges
WHERE list_contains($ids, charge_id)
ORDER BY charge_id;
