-- Every source with billed charges in the period: how many, how many carry no account_code
-- tag (they take the source's account), and where the first one is.
SELECT
    source,
    count(*) AS charges,
    count(*) FILTER (WHERE account_code IS NULL) AS untagged,
    first(file ORDER BY file, row_number) AS file
FROM charges
WHERE status = 'billed' AND period = $period
GROUP BY source
ORDER BY source;
