-- Which part of a split Parquet file each row goes to (row numbers from 1, in file order).
CREATE OR REPLACE TEMP TABLE ingest_parts (row_number BIGINT, period VARCHAR, source VARCHAR);
