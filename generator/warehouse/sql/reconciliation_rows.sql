SELECT * FROM reconciliation ORDER BY period;
