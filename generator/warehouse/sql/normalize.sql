-- Stage 3: one normalized row per input row, for every period in the repository.
-- Attribution comes from the tag mapping (first non-empty of each field's keys), then the
-- project registry fills what the tags leave out.

-- Tags repeat across rows (per project, per resource): parse each distinct value once.
CREATE OR REPLACE TEMP TABLE tag_sets AS
WITH distinct_tags AS (
    SELECT DISTINCT Tags FROM raw_charges WHERE Tags IS NOT NULL
),
typed AS (
    SELECT
        Tags,
        CASE WHEN json_valid(Tags) THEN json_type(Tags) = 'OBJECT' ELSE false END AS is_object
    FROM distinct_tags
),
checked AS (
    -- Not a flat object of text, a key given twice (which value counts would be a guess),
    -- or a control character in a key or value (NUL, CR, LF, ...): the row is flagged.
    SELECT
        Tags,
        CASE
            WHEN NOT is_object THEN true
            ELSE coalesce(list_bool_or(list_transform(
                    json_extract(Tags, '$.*'), lambda v: json_type(v) IN ('OBJECT', 'ARRAY'))),
                    false)
                OR len(json_keys(Tags)) <> len(list_distinct(json_keys(Tags)))
                OR coalesce(list_bool_or(list_transform(
                    list_concat(json_keys(Tags), json_extract_string(Tags, '$.*')),
                    lambda v: regexp_matches(v, '[\x00-\x1f\x7f]'))), false)
        END AS invalid_tags
    FROM typed
),
extracted AS (
    -- Tags that are not a flat object are not read at all: the row waits for a reassign.
    SELECT
        Tags,
        invalid_tags,
        CASE WHEN NOT invalid_tags THEN json_extract_string(Tags, $tag_paths) END AS tag_values
    FROM checked
)
SELECT
    Tags,
    invalid_tags,
    nullif(lower(trim(list_filter(list_select(tag_values, $idx_pi_email), lambda x: trim(x) <> '')[1])), '') AS tag_pi_email,
    nullif(trim(list_filter(list_select(tag_values, $idx_project_id), lambda x: trim(x) <> '')[1]), '') AS tag_project_id,
    nullif(trim(list_filter(list_select(tag_values, $idx_fund_org), lambda x: trim(x) <> '')[1]), '') AS tag_fund_org,
    nullif(trim(list_filter(list_select(tag_values, $idx_cost_center), lambda x: trim(x) <> '')[1]), '') AS cost_center,
    nullif(trim(list_filter(list_select(tag_values, $idx_reference_1), lambda x: trim(x) <> '')[1]), '') AS reference_1,
    nullif(trim(list_filter(list_select(tag_values, $idx_reference_2), lambda x: trim(x) <> '')[1]), '') AS reference_2,
    nullif(trim(list_filter(list_select(tag_values, $idx_account_code), lambda x: trim(x) <> '')[1]), '') AS account_code
FROM extracted;

-- Charge IDs: the first 16 hex of SHA-256 over source and row content; identical rows in
-- one file get an occurrence number (only those rows need the window).
CREATE OR REPLACE TEMP TABLE repeated AS
SELECT period, source, content_key
FROM raw_charges
GROUP BY ALL
HAVING count(*) > 1;

CREATE OR REPLACE TEMP TABLE charge_ids AS
SELECT r.rid,
       CASE WHEN occurrence = 1 THEN left(r.charge_base, 16)
            ELSE left(sha256(r.charge_base || chr(31) || CAST(occurrence AS VARCHAR)), 16)
       END AS charge_id
FROM (
    SELECT r.rowid AS rid, r.charge_base,
           row_number() OVER (PARTITION BY r.period, r.source, r.charge_base) AS occurrence
    FROM raw_charges r SEMI JOIN repeated USING (period, source, content_key)
) r;

-- Rows are stored in file order: a row's number in its file counts from the file's first.
CREATE OR REPLACE TEMP TABLE file_starts AS
SELECT file, min(rowid) - 1 AS before FROM raw_charges GROUP BY file;

-- The columns after the input's are filled in by stage 5 (charges.sql), which updates
-- only the flagged and the decided rows.
CREATE OR REPLACE TABLE normalized AS
SELECT
    *,
    pi_email AS original_pi_email,
    project_id AS original_project_id,
    fund_org AS original_fund_org,
    CAST([] AS VARCHAR[]) AS flags,
    CAST(NULL AS VARCHAR) AS decision,
    CAST(NULL AS VARCHAR) AS decision_reason,
    CAST(NULL AS VARCHAR) AS decided_by,
    CAST(NULL AS VARCHAR) AS review_file,
    CAST(NULL AS INTEGER) AS review_line,
    'billed' AS status
FROM (
    SELECT
        coalesce(i.charge_id, left(a.charge_base, 16)) AS charge_id,
        a.period,
        a.source,
        a.file,
        a.rowid - s.before AS row_number,
        a.content_key,
        coalesce(t.tag_pi_email, lower(pr.pi_email)) AS pi_email,
        t.tag_project_id AS project_id,
        coalesce(t.tag_fund_org, pr.fund_org) AS fund_org,
        t.cost_center,
        t.reference_1,
        t.reference_2,
        t.account_code,
        coalesce(a.ServiceName, a.ServiceCategory, '(unspecified service)') AS service,
        coalesce(a.ResourceId, a.ResourceName, '') AS resource_id,
        coalesce(a.ResourceName, a.ResourceId, '') AS resource_name,
        CASE WHEN $cost_basis = 'EffectiveCost' THEN a.EffectiveCost ELSE a.BilledCost END AS cost,
        -- List and contracted cost (docs/admin/configuration.md, "Discounts and subsidy"):
        -- a missing one, or a zero one on a row that charges something (AWS writes
        -- ContractedCost 0, Oracle leaves it out, an adjustment has ListCost 0), is unknown,
        -- so it makes no discount or subsidy: an unknown contracted cost is the amount
        -- charged, an unknown list price the contracted cost (or the amount charged).
        coalesce(CASE WHEN a.ListCost <> 0 OR cost = 0 THEN a.ListCost END,
                 CASE WHEN a.ContractedCost <> 0 OR cost = 0 THEN a.ContractedCost END,
                 cost) AS list_cost,
        coalesce(CASE WHEN a.ContractedCost <> 0 OR cost = 0 THEN a.ContractedCost END,
                 cost) AS contracted_cost,
        coalesce(a.ChargePeriodStart, a.BillingPeriodStart) AS charge_start,
        strftime(a.BillingPeriodStart, '%Y-%m') AS billing_month,
        coalesce(t.invalid_tags, false) AS invalid_tags,
        -- A correction row names the charge (and period) it corrects: see corrections.py.
        nullif(trim(json_extract_string(a.extra, '$.x_CorrectsChargeId')), '') AS corrects_charge_id,
        nullif(trim(json_extract_string(a.extra, '$.x_CorrectsPeriod')), '') AS corrects_period,
        -- A correction (ChargeClass = Correction) is billed on statement lines of its own:
        -- statement_lines, statement_detail and journal_entries key their lines by this.
        coalesce(lower(a.ChargeClass) = 'correction', false) AS correction,
        a.* EXCLUDE (period, source, file, charge_base, content_key, bad_raw)
    FROM raw_charges a
    JOIN file_starts s USING (file)
    LEFT JOIN tag_sets t ON t.Tags = a.Tags
    LEFT JOIN charge_ids i ON i.rid = a.rowid
    LEFT JOIN projects pr ON pr.id = t.tag_project_id
);

DROP TABLE tag_sets;
DROP TABLE repeated;
DROP TABLE charge_ids;
DROP TABLE file_starts;

DROP TABLE raw_charges;
