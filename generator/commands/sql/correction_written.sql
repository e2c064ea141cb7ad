-- The correction row just written: the last row ($row_number) of its corrections file
-- ($file), as the warehouse reads it back (its ID, and whether it is flagged).
SELECT charge_id, status, flags FROM charges WHERE file = $file AND row_number = $row_number;
