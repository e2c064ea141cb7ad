-- A file's amounts, added up regardless of sign, must stay within the money range too
-- (below $max_amount), so that the warehouse's sums over many files fit DECIMAL(38, 18).
-- Each amount is rounded up to a whole number and summed as HUGEINT, so this sum cannot
-- overflow. The cost columns of file $file whose amounts add up to $max_amount or more.
SELECT name, total
FROM (
    SELECT sum(CAST(ceil(abs(BilledCost)) AS HUGEINT)) AS BilledCost,
           sum(CAST(ceil(abs(EffectiveCost)) AS HUGEINT)) AS EffectiveCost,
           sum(CAST(ceil(abs(ListCost)) AS HUGEINT)) AS ListCost,
           sum(CAST(ceil(abs(ContractedCost)) AS HUGEINT)) AS ContractedCost
    FROM raw_charges
    WHERE file = $file
) UNPIVOT (total FOR name IN (BilledCost, EffectiveCost, ListCost, ContractedCost))
WHERE total >= $max_amount
ORDER BY name;
