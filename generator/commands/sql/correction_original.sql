-- The charge a correction corrects: every column, with its effective attribution.
SELECT * FROM charges WHERE charge_id = $charge_id;
