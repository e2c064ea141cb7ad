-- The charge a correction corrects: every column, with its effective attribution.
SELECT * FROM every_charge WHERE charge_id = $charge_id;
