-- Correction rows (of the months read here) that bill what the corrected charge was not:
--   attribution: a correction is billed where the corrected charge is (its PI, project and
--     fund/org after any decision), as `correct` writes it, unless a review decision
--     reassigns the correction itself;
--   over: what is left of the charge after this and every earlier correction (in period,
--     file and row order; rejected corrections do not count) has the other sign than the
--     charge: a credit larger than what remained. x_AllowOver (`correct --allow-over`)
--     says why it is allowed.
-- The corrected charge is the one the row names in its period: in charges (after decisions)
-- or in a finalized month's record (frozen_originals, resolved when it was finalized).
-- A row with a problem of correction_problems.sql is left out: one problem a row.
WITH originals AS (
    SELECT charge_id, period, pi_email, project_id, fund_org, cost FROM charges
    WHERE charge_id IN (SELECT charge_id FROM named_originals)
    UNION ALL
    SELECT charge_id, period, pi_email, project_id, fund_org, cost FROM frozen_originals
),
corrections AS (
    SELECT corrects_charge_id, corrects_period, period, file, row_number, cost,
           charge_id, original_pi_email, original_project_id, original_fund_org, decision,
           nullif(trim(json_extract_string(extra, '$.x_AllowOver')), '') AS allow_over,
           true AS here
    FROM charges
    WHERE corrects_charge_id IS NOT NULL AND status <> 'rejected'
      AND (file, row_number) NOT IN (SELECT (file, row_number) FROM correction_problem_rows)
    UNION ALL
    SELECT corrects_charge_id, NULL, period, file, row_number, cost,
           NULL, NULL, NULL, NULL, NULL, NULL, false
    FROM frozen_corrections
),
running AS (
    SELECT c.*, o.cost AS original_cost, o.pi_email, o.project_id, o.fund_org,
           o.cost + sum(c.cost) OVER (
               PARTITION BY c.corrects_charge_id ORDER BY c.period, c.file, c.row_number
               ROWS UNBOUNDED PRECEDING) AS remaining
    FROM corrections c
    JOIN originals o ON o.charge_id = c.corrects_charge_id
)
SELECT * EXCLUDE (problems), unnest(problems) AS problem
FROM (
    SELECT file, row_number, corrects_charge_id, corrects_period, cost, original_cost,
           remaining - cost AS before, pi_email, project_id, fund_org,
           original_pi_email, original_project_id, original_fund_org,
           list_filter([
               CASE WHEN coalesce(decision, '') <> 'reassign'
                     AND (original_pi_email IS DISTINCT FROM pi_email
                          OR original_project_id IS DISTINCT FROM project_id
                          OR original_fund_org IS DISTINCT FROM fund_org)
                    THEN 'attribution' END,
               CASE WHEN allow_over IS NULL
                     AND ((original_cost >= 0 AND remaining < 0)
                          OR (original_cost < 0 AND remaining > 0))
                    THEN 'over' END
           ], lambda x: x IS NOT NULL) AS problems
    FROM running
    WHERE here
)
WHERE len(problems) > 0
ORDER BY file, row_number, problem;
