-- What a tree's warehouse is built from, for the billing diff: every input file, review
-- file and period record with its SHA-256, and every period's status. diff.py fills them.
CREATE OR REPLACE TABLE inputs (
    period VARCHAR,
    kind VARCHAR,      -- file | review | record
    name VARCHAR,      -- the path from the billing repo root
    sha256 VARCHAR
);
CREATE OR REPLACE TABLE period_status (period VARCHAR, status VARCHAR);
