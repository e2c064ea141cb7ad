-- The project registry from data/projects.yaml (fund/org, PI and end dates).
CREATE OR REPLACE TABLE projects (
    id VARCHAR PRIMARY KEY,
    name VARCHAR,
    pi_email VARCHAR,
    fund_org VARCHAR,
    end_date DATE
);
