-- Every bad value of one file ($file), from the raw text kept for its bad rows: bad_raw
-- holds every checked column of such a row, name -> text as written (null when empty).
-- $required: columns that may not be empty; $decimal, $timestamp: the typed FOCUS columns;
-- $money: the decimal ones that are amounts, below $max_amount either way. The first $limit
-- problems, rows numbered from 1 in file order, each with the count of them all (total).
-- Needs focus_macros.sql.
WITH bad AS (
    SELECT rowid - (SELECT min(rowid) FROM raw_charges WHERE file = $file) + 1 AS row_number,
           bad_raw
    FROM raw_charges
    WHERE file = $file AND bad_raw IS NOT NULL
),
kept AS (
    SELECT bad.row_number, j.key AS col, j.value ->> '$' AS val
    FROM bad, json_each(bad.bad_raw) AS j
)
SELECT row_number, col, val, count(*) OVER () AS total
FROM kept
WHERE (val IS NULL AND list_contains($required, col))
   OR (list_contains($money, col) AND bad_amount(val, focus_decimal(val), $max_amount))
   OR (list_contains($decimal, col) AND bad_decimal(val, focus_decimal(val)))
   OR (list_contains($timestamp, col) AND bad_timestamp(val, focus_timestamp(val)))
ORDER BY row_number, col
LIMIT $limit;
