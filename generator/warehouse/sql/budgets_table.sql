-- Every budget of data/projects.yaml and data/fund_orgs.yaml (warehouse/budgets.py fills
-- it): whose charges count (a project's or a fund/org's, of some sources or of every one)
-- and its months (NULL: open-ended).
CREATE OR REPLACE TEMP TABLE budgets (
    budget INTEGER,
    owner VARCHAR,  -- project | fund_org
    name VARCHAR,
    first_month VARCHAR,
    last_month VARCHAR,
    sources VARCHAR[]  -- empty: every source
);
