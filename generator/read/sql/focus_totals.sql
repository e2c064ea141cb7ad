-- A file's amounts, added up regardless of sign, must stay within the money range too
-- (below $max_amount), so that the warehouse's sums over many files fit DECIMAL(38, 18).
-- The cost columns of file $file whose amounts add up to $max_amount or more (total: the
-- sum rounded down). Needs focus_macros.sql.
SELECT name, total
FROM (
    SELECT abs_total(BilledCost) AS BilledCost,
           abs_total(EffectiveCost) AS EffectiveCost,
           abs_total(ListCost) AS ListCost,
           abs_total(ContractedCost) AS ContractedCost
    FROM raw_charges
    WHERE file = $file
) UNPIVOT (total FOR name IN (BilledCost, EffectiveCost, ListCost, ContractedCost))
WHERE total >= $max_amount
ORDER BY name;
