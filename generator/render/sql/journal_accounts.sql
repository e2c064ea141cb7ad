-- Account codes tagged on billed charges of the period, with where the first one is.
SELECT
    account_code,
    count(*) AS charges,
    first(file ORDER BY file, row_number) AS file,
    first(row_number ORDER BY file, row_number) AS row_number,
    first(charge_id ORDER BY file, row_number) AS charge_id
FROM charges
WHERE status = 'billed' AND period = $period AND account_code IS NOT NULL
GROUP BY account_code
ORDER BY account_code;
