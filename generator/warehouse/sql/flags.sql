-- Stage 4: flags. One row per (charge, flag); a flagged charge waits for a review decision.
-- Pattern rules from the config are added by flags.py with flag_pattern.sql.
-- A correction that names the charge it corrects (corrects_charge_id) is judged on its
-- attribution only: the usage it corrects was reviewed in its own period, so pattern,
-- project_ended and cost_spike do not apply to it, and it is not usage in spike totals.

CREATE OR REPLACE TABLE flags AS
SELECT charge_id, 'missing_pi_email' AS flag FROM normalized WHERE pi_email IS NULL
UNION ALL
-- A PI email that is not a plain address (common/addresses.py): it must never name a file,
-- reach a journal or become a recipient, so the charge waits for a reassign or a reject.
SELECT charge_id, 'invalid_pi_email' FROM normalized
SEMI JOIN (
    SELECT pi_email FROM (SELECT DISTINCT pi_email FROM normalized WHERE pi_email IS NOT NULL)
    WHERE length(pi_email) > $max_address OR NOT regexp_full_match(pi_email, $plain_address)
) USING (pi_email)
UNION ALL
SELECT charge_id, 'missing_project_id' FROM normalized WHERE project_id IS NULL
UNION ALL
SELECT charge_id, 'missing_fund_org' FROM normalized WHERE fund_org IS NULL
UNION ALL
SELECT charge_id, 'invalid_fund_org' FROM normalized
SEMI JOIN (
    -- Each distinct fund/org is checked once against the patterns.
    SELECT fund_org FROM (SELECT DISTINCT fund_org FROM normalized WHERE fund_org IS NOT NULL)
    WHERE $fund_org_regex IS NOT NULL AND NOT regexp_full_match(fund_org, $fund_org_regex)
) USING (fund_org)
UNION ALL
SELECT charge_id, 'invalid_tags' FROM normalized WHERE invalid_tags
UNION ALL
SELECT charge_id, 'period_mismatch' FROM normalized WHERE billing_month <> period
UNION ALL
SELECT charge_id, 'currency_mismatch' FROM normalized
WHERE BillingCurrency IS NOT NULL AND upper(trim(BillingCurrency)) <> $currency
UNION ALL
-- The same row content in two files of one period.
SELECT n.charge_id, 'duplicate' FROM normalized n
SEMI JOIN (
    SELECT period, content_key FROM normalized
    GROUP BY period, content_key HAVING count(DISTINCT source) > 1
) d USING (period, content_key)
UNION ALL
SELECT n.charge_id, 'project_ended' FROM normalized n
JOIN projects p ON p.id = n.project_id
WHERE p.end_date IS NOT NULL AND CAST(n.charge_start AS DATE) > p.end_date
  AND n.corrects_charge_id IS NULL
UNION ALL
-- A project's period total against the average of its trailing three periods (the ones
-- the repository has: a finalized month counts with its totals as frozen); a project with
-- no history is not a spike. Only the months read here (normalized) are flagged.
SELECT n.charge_id, 'cost_spike' FROM normalized n
JOIN (
    WITH current AS (
        SELECT period, project_id, sum(cost) AS total
        FROM normalized WHERE project_id IS NOT NULL AND corrects_charge_id IS NULL
        GROUP BY ALL
    ),
    totals AS (
        SELECT * FROM current
        UNION ALL
        SELECT period, project_id, total FROM frozen_totals
    ),
    months AS (SELECT DISTINCT period FROM normalized UNION SELECT period FROM frozen_periods),
    prior AS (
        SELECT m.period, t.period AS earlier
        FROM months m JOIN months t
          ON strptime(t.period, '%Y-%m') >= strptime(m.period, '%Y-%m') - INTERVAL 3 MONTH
         AND strptime(t.period, '%Y-%m') < strptime(m.period, '%Y-%m')
    ),
    history AS (
        SELECT tr.period, cur.project_id,
               coalesce(sum(past.total), 0) / count(DISTINCT tr.earlier) AS average
        FROM prior tr
        JOIN current cur ON cur.period = tr.period
        LEFT JOIN totals past ON past.period = tr.earlier AND past.project_id = cur.project_id
        GROUP BY ALL
    )
    SELECT cur.period, cur.project_id
    FROM current cur JOIN history h USING (period, project_id)
    WHERE cur.total >= $spike_min_amount
      AND h.average > 0
      AND cur.total > $spike_factor * h.average
) s ON s.period = n.period AND s.project_id = n.project_id
WHERE n.corrects_charge_id IS NULL;
