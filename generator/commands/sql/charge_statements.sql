-- Every statement of a period, as (period, PI, project): one per billed attribution.
SELECT DISTINCT period, pi_email, project_id FROM every_charge
WHERE period = $period AND status = 'billed';
