-- A finalized month's frozen record: every charge as resolved (attribution after tags,
-- registry and decisions; flags; state; amounts), in file order.
COPY (SELECT * FROM charges WHERE period = $period ORDER BY file, row_number)
TO $path (FORMAT parquet, COMPRESSION zstd);
