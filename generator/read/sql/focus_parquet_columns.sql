-- The columns of a Parquet file (column_name, column_type, ...), in file order.
DESCRIBE SELECT * FROM read_parquet($path);
