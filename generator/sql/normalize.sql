-- Stage 3: one normalized row per input row, for every period in the repository.
-- Attribution comes from the tag mapping (first non-empty of each field's keys), then the
-- project registry fills what the tags leave out.

CREATE OR REPLACE TABLE normalized AS
WITH tagged AS (
    SELECT
        r.*,
        CASE WHEN json_valid(Tags) THEN json_type(Tags) = 'OBJECT' ELSE false END
            AS tags_object
    FROM raw_charges r
),
parsed AS (
    SELECT
        t.*,
        CASE
            WHEN Tags IS NULL THEN false
            WHEN NOT tags_object THEN true
            ELSE coalesce(list_bool_or(list_transform(
                json_extract(Tags, '$.*'), lambda v: json_type(v) IN ('OBJECT', 'ARRAY'))), false)
        END AS invalid_tags
    FROM tagged t
),
extracted AS (
    -- Tags that are not a flat object are not read at all: the row waits for a reassign.
    SELECT
        p.*,
        CASE WHEN tags_object AND NOT invalid_tags
            THEN json_extract_string(Tags, $tag_paths) END AS tag_values
    FROM parsed p
),
attributed AS (
    SELECT
        p.*,
        nullif(lower(trim(list_filter(list_select(tag_values, $idx_pi_email), lambda x: trim(x) <> '')[1])), '') AS tag_pi_email,
        nullif(trim(list_filter(list_select(tag_values, $idx_project_id), lambda x: trim(x) <> '')[1]), '') AS tag_project_id,
        nullif(trim(list_filter(list_select(tag_values, $idx_fund_org), lambda x: trim(x) <> '')[1]), '') AS tag_fund_org,
        nullif(trim(list_filter(list_select(tag_values, $idx_cost_center), lambda x: trim(x) <> '')[1]), '') AS cost_center,
        nullif(trim(list_filter(list_select(tag_values, $idx_reference_1), lambda x: trim(x) <> '')[1]), '') AS reference_1,
        nullif(trim(list_filter(list_select(tag_values, $idx_reference_2), lambda x: trim(x) <> '')[1]), '') AS reference_2,
        nullif(trim(list_filter(list_select(tag_values, $idx_account_code), lambda x: trim(x) <> '')[1]), '') AS account_code
    FROM extracted p
)
SELECT
    left(sha256(a.source || chr(31) || a.content_hash || chr(31)
        || CAST(row_number() OVER (PARTITION BY a.period, a.source, a.content_hash) AS VARCHAR)), 16)
        AS charge_id,
    a.period,
    a.source,
    a.file,
    a.row_number,
    a.content_hash,
    coalesce(a.tag_pi_email, lower(pr.pi_email)) AS pi_email,
    a.tag_project_id AS project_id,
    coalesce(a.tag_fund_org, pr.fund_org) AS fund_org,
    a.cost_center,
    a.reference_1,
    a.reference_2,
    a.account_code,
    coalesce(a.ServiceName, a.ServiceCategory, '(unspecified service)') AS service,
    coalesce(a.ResourceId, a.ResourceName, '') AS resource_id,
    coalesce(a.ResourceName, a.ResourceId, '') AS resource_name,
    CASE WHEN $cost_basis = 'EffectiveCost' THEN a.EffectiveCost ELSE a.BilledCost END AS cost,
    coalesce(a.ListCost, cost) AS list_cost,
    coalesce(a.ContractedCost, a.ListCost, cost) AS contracted_cost,
    coalesce(a.ChargePeriodStart, a.BillingPeriodStart) AS charge_start,
    strftime(a.BillingPeriodStart, '%Y-%m') AS billing_month,
    a.invalid_tags,
    a.* EXCLUDE (period, source, file, row_number, content_hash, tags_object, tag_values,
                 invalid_tags, tag_pi_email, tag_project_id, tag_fund_org, cost_center,
                 reference_1, reference_2, account_code)
FROM attributed a
LEFT JOIN projects pr ON pr.id = a.tag_project_id;
