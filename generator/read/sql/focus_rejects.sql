-- The rows of the CSV file just read that could not be split into the header's fields
-- (DuckDB's store_rejects keeps them), first lines first: the first $limit, each with the
-- count of them all (total).
SELECT line, error_type, csv_line, count(*) OVER () AS total
FROM reject_errors
ORDER BY line
LIMIT $limit;
