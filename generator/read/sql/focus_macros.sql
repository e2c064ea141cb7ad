-- What the FOCUS reader's queries share: typing a value from its raw text, and telling a
-- bad value. Run before reading a file (the macros last for the connection).

-- A number has more than 18 decimal places once its exponent is applied,
-- so DECIMAL(38, 18) could not hold it exactly.
CREATE OR REPLACE TEMP MACRO too_precise(v) AS
    length(rtrim(coalesce(regexp_extract(trim(v), '\.(\d*)', 1), ''), '0'))
    - coalesce(TRY_CAST(regexp_extract(trim(v), '[eE]([+-]?\d+)$', 1) AS INTEGER), 0) > 18;

-- A value's raw text typed, NULL when it does not parse. trim() is slow in bulk: only
-- values that fail as written are trimmed and tried again.
CREATE OR REPLACE TEMP MACRO focus_decimal(raw) AS
    coalesce(TRY_CAST(raw AS DECIMAL(38, 18)), TRY_CAST(trim(raw) AS DECIMAL(38, 18)));
CREATE OR REPLACE TEMP MACRO focus_timestamp(raw) AS
    coalesce(TRY_CAST(raw AS TIMESTAMP), TRY_CAST(trim(raw) AS TIMESTAMP));

-- True when a value is written but is not acceptable (typed: its value as typed above).
-- Only a long value or one with an exponent can be too precise for DECIMAL(38, 18).
CREATE OR REPLACE TEMP MACRO bad_decimal(raw, typed) AS
    raw IS NOT NULL
    AND (typed IS NULL OR ((length(raw) > 19 OR raw ILIKE '%e%') AND too_precise(raw)));
-- An amount (a cost or a unit price) must also be within the money range: |x| < max_amount
-- (generator/common/money.py MAX_AMOUNT, passed as a parameter).
CREATE OR REPLACE TEMP MACRO bad_amount(raw, typed, max_amount) AS
    bad_decimal(raw, typed) OR coalesce(abs(typed) >= max_amount, false);
-- The absolute values of x added up and rounded down, exactly and without overflow: whole
-- parts summed as HUGEINT, the fractions (each below 1) as DECIMAL. For a file's totals.
CREATE OR REPLACE TEMP MACRO abs_total(x) AS
    sum(CAST(trunc(abs(x)) AS HUGEINT)) + CAST(floor(sum(abs(x) - trunc(abs(x)))) AS HUGEINT);
CREATE OR REPLACE TEMP MACRO bad_timestamp(raw, typed) AS raw IS NOT NULL AND typed IS NULL;
