-- The finalized months' statement lines and reconciliation, as frozen, beside the open
-- months' (derived by statement_lines.sql): every total anywhere is a sum of these lines.
INSERT INTO statement_lines BY NAME SELECT * FROM read_parquet($lines);
INSERT INTO reconciliation BY NAME SELECT * FROM read_parquet($reconciliation);
