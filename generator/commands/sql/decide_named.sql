-- `review approve|reject|reassign ID...`: the charges $ids names, with the decision they
-- already have (a charge is decided once) and the PI they came with (a department
-- decides only its own charges).
SELECT charge_id, period, decision, review_file, original_pi_email
FROM every_charge
WHERE list_contains($ids, charge_id);
