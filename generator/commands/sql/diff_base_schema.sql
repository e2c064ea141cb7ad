-- `check --base REF`: the base warehouse's tables are copied into this one as base.<table>
-- (diff_base_read.sql.j2, diff_base_keep.sql.j2) for the diff_*.sql queries.
CREATE SCHEMA base;
