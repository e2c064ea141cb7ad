-- `check --base REF`: the copied base tables are dropped once the diff is made.
DROP SCHEMA base CASCADE;
