CREATE OR REPLACE TABLE decisions (
    charge_id VARCHAR PRIMARY KEY,
    period VARCHAR,
    action VARCHAR,
    reason VARCHAR,
    decided_by VARCHAR,
    set_pi_email VARCHAR,
    set_project_id VARCHAR,
    set_fund_org VARCHAR,
    review_file VARCHAR,
    review_line INTEGER
);
