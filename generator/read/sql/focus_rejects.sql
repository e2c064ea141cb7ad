-- The rows of the CSV file just read that could not be split into the header's fields
-- (DuckDB's store_rejects keeps them), first lines first.
SELECT line, error_type, csv_line FROM reject_errors ORDER BY line LIMIT $limit;
