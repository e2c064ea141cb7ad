-- Statements: every billed charge of the periods being written with its share of its
-- statement line's rounded amounts, and every resource of a statement ranked by amount due.
-- A line is what statement_lines groups by: (period, PI, project, fund/org, source, service,
-- correction); each lies within one period, so leaving the other periods out changes none.
--
-- A statement line's amounts are rounded once (statement_lines). To show resources and
-- charges that add up to the line to the cent, each charge is rounded and the cents the
-- rounding left over are handed, one minor unit each, to the charges whose rounding was
-- closest to going the other way (largest remainder; ties by charge ID). So every charge
-- is within one minor unit of its exact amount and every detail adds up to the line.

CREATE OR REPLACE TABLE statement_charges AS
WITH billed AS (
    SELECT
        charge_id, period, pi_email, project_id, fund_org, source, service,
        resource_id, resource_name, list_cost, contracted_cost, cost, correction,
        round(list_cost, $minor_units) AS list_r,
        round(contracted_cost, $minor_units) AS contracted_r,
        round(cost, $minor_units) AS cost_r
    FROM charges
    WHERE status = 'billed' AND list_contains($periods, period)
      AND period NOT IN (SELECT period FROM frozen_periods)
),
leftover AS (
    SELECT
        *,
        (round(sum(list_cost) OVER line, $minor_units) - sum(list_r) OVER line) * $scale
            AS list_units,
        (round(sum(contracted_cost) OVER line, $minor_units) - sum(contracted_r) OVER line)
            * $scale AS contracted_units,
        (round(sum(cost) OVER line, $minor_units) - sum(cost_r) OVER line) * $scale
            AS cost_units
    FROM billed
    WINDOW line AS (PARTITION BY period, pi_email, project_id, fund_org, source, service,
                               correction)
),
ranked AS (
    SELECT
        *,
        row_number() OVER (line ORDER BY sign(list_units) * (list_cost - list_r) DESC,
                           charge_id) AS list_rank,
        row_number() OVER (line ORDER BY sign(contracted_units)
                           * (contracted_cost - contracted_r) DESC, charge_id)
            AS contracted_rank,
        row_number() OVER (line ORDER BY sign(cost_units) * (cost - cost_r) DESC,
                           charge_id) AS cost_rank
    FROM leftover
    WINDOW line AS (PARTITION BY period, pi_email, project_id, fund_org, source, service,
                               correction)
)
SELECT
    charge_id, period, pi_email, project_id, fund_org, source, service, correction,
    resource_id, resource_name,
    list_r + CASE WHEN list_rank <= abs(list_units)
        THEN sign(list_units) * $unit ELSE 0 END AS list_cost,
    contracted_r + CASE WHEN contracted_rank <= abs(contracted_units)
        THEN sign(contracted_units) * $unit ELSE 0 END AS contracted_cost,
    cost_r + CASE WHEN cost_rank <= abs(cost_units)
        THEN sign(cost_units) * $unit ELSE 0 END AS charged
FROM ranked
-- A finalized month's charges keep the shares they were given when it was finalized.
UNION ALL BY NAME
SELECT * FROM frozen_statement_charges WHERE list_contains($periods, period);

CREATE OR REPLACE TABLE statement_resources AS
SELECT
    *,
    row_number() OVER (
        PARTITION BY period, pi_email, project_id
        ORDER BY abs(charged) DESC, abs(list_cost) DESC, service, resource_id, source
    ) AS rank
FROM (
    SELECT
        period, pi_email, project_id, source, service, resource_id,
        min(resource_name) AS resource_name,
        count(*) AS charges,
        sum(list_cost) AS list_cost,
        sum(contracted_cost) AS contracted_cost,
        sum(charged) AS charged
    FROM statement_charges
    GROUP BY period, pi_email, project_id, source, service, resource_id
);
