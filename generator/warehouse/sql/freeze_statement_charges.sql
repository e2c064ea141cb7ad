-- A finalized month's frozen record: each billed charge's share of its statement line, as
-- render/sql/statement_detail.sql divided it for the month.
COPY (SELECT * FROM statement_charges WHERE period = $period ORDER BY charge_id)
TO $path (FORMAT parquet, COMPRESSION zstd);
