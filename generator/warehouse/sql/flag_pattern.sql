-- A configured pattern rule: flag pattern:$rule where any column the rule names matches
-- $pattern. $columns: the FOCUS columns it names; $paths: JSON paths (in extra) of the
-- columns FOCUS does not define that it names. One static query serves every rule: a
-- column is read only when the rule names it (list_contains is the same for every row,
-- so the regex runs on no row of a column the rule does not name). Numbers and dates are
-- matched as DuckDB writes them as text. Every FOCUS column of raw_charges_table.sql is
-- listed (a test checks).
INSERT INTO flags
SELECT charge_id, 'pattern:' || $rule FROM normalized
WHERE corrects_charge_id IS NULL AND (
       (list_contains($columns, 'BilledCost') AND regexp_matches(CAST(BilledCost AS VARCHAR), $pattern))
    OR (list_contains($columns, 'EffectiveCost') AND regexp_matches(CAST(EffectiveCost AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ListCost') AND regexp_matches(CAST(ListCost AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ContractedCost') AND regexp_matches(CAST(ContractedCost AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ListUnitPrice') AND regexp_matches(CAST(ListUnitPrice AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ContractedUnitPrice') AND regexp_matches(CAST(ContractedUnitPrice AS VARCHAR), $pattern))
    OR (list_contains($columns, 'PricingQuantity') AND regexp_matches(CAST(PricingQuantity AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ConsumedQuantity') AND regexp_matches(CAST(ConsumedQuantity AS VARCHAR), $pattern))
    OR (list_contains($columns, 'BillingPeriodStart') AND regexp_matches(CAST(BillingPeriodStart AS VARCHAR), $pattern))
    OR (list_contains($columns, 'BillingPeriodEnd') AND regexp_matches(CAST(BillingPeriodEnd AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ChargePeriodStart') AND regexp_matches(CAST(ChargePeriodStart AS VARCHAR), $pattern))
    OR (list_contains($columns, 'ChargePeriodEnd') AND regexp_matches(CAST(ChargePeriodEnd AS VARCHAR), $pattern))
    OR (list_contains($columns, 'BillingAccountId') AND regexp_matches(BillingAccountId, $pattern))
    OR (list_contains($columns, 'BillingAccountName') AND regexp_matches(BillingAccountName, $pattern))
    OR (list_contains($columns, 'BillingCurrency') AND regexp_matches(BillingCurrency, $pattern))
    OR (list_contains($columns, 'ChargeCategory') AND regexp_matches(ChargeCategory, $pattern))
    OR (list_contains($columns, 'ChargeClass') AND regexp_matches(ChargeClass, $pattern))
    OR (list_contains($columns, 'ChargeDescription') AND regexp_matches(ChargeDescription, $pattern))
    OR (list_contains($columns, 'ChargeFrequency') AND regexp_matches(ChargeFrequency, $pattern))
    OR (list_contains($columns, 'InvoiceIssuerName') AND regexp_matches(InvoiceIssuerName, $pattern))
    OR (list_contains($columns, 'PricingUnit') AND regexp_matches(PricingUnit, $pattern))
    OR (list_contains($columns, 'ConsumedUnit') AND regexp_matches(ConsumedUnit, $pattern))
    OR (list_contains($columns, 'ProviderName') AND regexp_matches(ProviderName, $pattern))
    OR (list_contains($columns, 'PublisherName') AND regexp_matches(PublisherName, $pattern))
    OR (list_contains($columns, 'RegionId') AND regexp_matches(RegionId, $pattern))
    OR (list_contains($columns, 'RegionName') AND regexp_matches(RegionName, $pattern))
    OR (list_contains($columns, 'ResourceId') AND regexp_matches(ResourceId, $pattern))
    OR (list_contains($columns, 'ResourceName') AND regexp_matches(ResourceName, $pattern))
    OR (list_contains($columns, 'ResourceType') AND regexp_matches(ResourceType, $pattern))
    OR (list_contains($columns, 'ServiceCategory') AND regexp_matches(ServiceCategory, $pattern))
    OR (list_contains($columns, 'ServiceName') AND regexp_matches(ServiceName, $pattern))
    OR (list_contains($columns, 'SkuId') AND regexp_matches(SkuId, $pattern))
    OR (list_contains($columns, 'SubAccountId') AND regexp_matches(SubAccountId, $pattern))
    OR (list_contains($columns, 'SubAccountName') AND regexp_matches(SubAccountName, $pattern))
    OR (list_contains($columns, 'Tags') AND regexp_matches(Tags, $pattern))
    OR (len($paths) > 0 AND list_bool_or(list_transform(
        $paths, lambda path: regexp_matches(json_extract_string(extra, path), $pattern))))
);
