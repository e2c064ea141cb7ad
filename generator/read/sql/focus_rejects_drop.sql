-- Forget the rejected rows of the CSV file just read (DuckDB would add the next file's).
DROP TABLE reject_errors;
DROP TABLE reject_scans;
