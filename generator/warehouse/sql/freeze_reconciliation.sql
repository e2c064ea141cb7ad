-- A finalized month's frozen record: input = billed + pending + rejected, exact.
COPY (SELECT * FROM reconciliation WHERE period = $period)
TO $path (FORMAT parquet, COMPRESSION zstd);
