-- The flagged rows of the files being ingested ($files, as shown), in file order.
SELECT file, row_number, flags, BillingCurrency AS currency, fund_org, pi_email
FROM charges
WHERE list_contains($files, file) AND len(flags) > 0
ORDER BY file, row_number;
