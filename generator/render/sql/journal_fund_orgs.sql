-- The fund/orgs billed charges of the period are debited to, with where the first one is.
SELECT
    fund_org,
    count(*) AS charges,
    first(file ORDER BY file, row_number) AS file,
    first(row_number ORDER BY file, row_number) AS row_number,
    first(charge_id ORDER BY file, row_number) AS charge_id,
    first(pi_email ORDER BY file, row_number) AS pi_email,
    first(project_id ORDER BY file, row_number) AS project_id
FROM charges
WHERE status = 'billed' AND period = $period
GROUP BY fund_org
ORDER BY fund_org NULLS FIRST;
