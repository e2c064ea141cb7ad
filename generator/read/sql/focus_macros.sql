-- A number has more than 18 decimal places once its exponent is applied,
-- so DECIMAL(38, 18) could not hold it exactly.
CREATE OR REPLACE TEMP MACRO too_precise(v) AS
    length(rtrim(coalesce(regexp_extract(trim(v), '\.(\d*)', 1), ''), '0'))
    - coalesce(TRY_CAST(regexp_extract(trim(v), '[eE]([+-]?\d+)$', 1) AS INTEGER), 0) > 18;
