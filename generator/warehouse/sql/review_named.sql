-- The PI of every charge of $period that the period's review decisions name ($ids), not
-- of every charge: a period has millions.
SELECT charge_id, pi_email
FROM normalized
WHERE period = $period AND charge_id IN (SELECT unnest($ids));
