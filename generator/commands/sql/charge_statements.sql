-- Every statement of a period, as (period, PI, project): one per billed attribution.
SELECT DISTINCT period, pi_email, project_id FROM charges
WHERE period = $period AND status = 'billed';
