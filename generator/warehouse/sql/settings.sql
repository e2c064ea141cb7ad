-- The warehouse's connection: stay well inside a laptop's memory; past the limit DuckDB
-- spills to $temp_directory.
SET memory_limit = '1800MB';
SET temp_directory = $temp_directory;
