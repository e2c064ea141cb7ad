-- Whether DuckDB's regular expressions (RE2) can run $pattern: the review rules run in SQL,
-- and RE2 has no lookarounds or backreferences. An error says why not.
SELECT regexp_matches('', $pattern) AS matches;
