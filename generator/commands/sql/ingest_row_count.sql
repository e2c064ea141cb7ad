-- The number of rows of the file being ingested (alone in raw_charges).
SELECT count(*) AS n FROM raw_charges;
