-- A finalized month's frozen record: its rounded statement lines.
COPY (SELECT * FROM statement_lines WHERE period = $period ORDER BY ALL)
TO $path (FORMAT parquet, COMPRESSION zstd);
