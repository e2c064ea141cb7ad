-- One charge for `charges ID`: every column of it.
SELECT * FROM charges WHERE charge_id = $charge_id;
