SELECT
    count(*) AS rows,
    coalesce(sum(cost), 0) AS total,
    coalesce(sum(cost) FILTER (WHERE status = 'billed'), 0) AS billed,
    coalesce(sum(cost) FILTER (WHERE status = 'pending'), 0) AS pending
FROM charges
WHERE file = $file;
