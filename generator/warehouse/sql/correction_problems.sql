-- Correction rows that do not say clearly what they correct. A row of a corrections/ file
-- must be ChargeClass = Correction and name an earlier charge of its own source, its
-- period and a reason; x_CorrectsChargeId anywhere else is refused (it would skip review).
-- The named charge is looked up only when its period is in the repository ($periods): in
-- the months read here, or in a finalized month's frozen record (frozen_originals).
CREATE OR REPLACE TEMP TABLE correction_problem_rows AS
SELECT c.file, c.row_number, c.corrects_charge_id, c.corrects_period, c.period, c.source,
       o.source AS corrected_source,
    CASE
        WHEN NOT list_contains($correction_files, c.file) THEN 'outside'
        WHEN coalesce(lower(trim(c.ChargeClass)), '') <> 'correction' THEN 'class'
        WHEN c.corrects_charge_id IS NULL
          OR NOT regexp_full_match(c.corrects_charge_id, '[0-9a-f]{16}') THEN 'id'
        WHEN c.corrects_period IS NULL
          OR NOT regexp_full_match(c.corrects_period, '\d{4}-(0[1-9]|1[0-2])') THEN 'period'
        WHEN c.corrects_period >= c.period THEN 'later'
        WHEN nullif(trim(json_extract_string(c.extra, '$.x_CorrectionReason')), '') IS NULL
            THEN 'reason'
        WHEN list_contains($periods, c.corrects_period) AND o.charge_id IS NULL THEN 'unknown'
        WHEN o.source <> c.source THEN 'source'
    END AS problem
FROM normalized c
LEFT JOIN (
    SELECT charge_id, period, source FROM normalized
    UNION ALL
    SELECT charge_id, period, source FROM frozen_originals
) o ON o.charge_id = c.corrects_charge_id AND o.period = c.corrects_period
WHERE (list_contains($correction_files, c.file) OR c.corrects_charge_id IS NOT NULL)
  AND problem IS NOT NULL
ORDER BY c.file, c.row_number;

SELECT * FROM correction_problem_rows ORDER BY file, row_number;
