-- One charge for `charges ID`: every column of it.
SELECT * FROM every_charge WHERE charge_id = $charge_id;
