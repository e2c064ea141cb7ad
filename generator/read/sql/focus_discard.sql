-- A file with any problem is rejected whole: remove the rows read from it again.
DELETE FROM raw_charges WHERE file = $file;
