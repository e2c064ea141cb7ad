-- The journal's view of the sources of a period: each file's source, the configured source
-- it belongs to (AWS.csv belongs to aws) and the account its untagged charges go to.
-- journal.py fills it from data/config.yaml before journal_entries.sql runs.

CREATE OR REPLACE TEMP TABLE journal_sources (
    source VARCHAR PRIMARY KEY,
    source_key VARCHAR NOT NULL,
    account VARCHAR
);
