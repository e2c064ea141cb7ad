SELECT flag, count(*) AS n
FROM (SELECT unnest(flags) AS flag FROM charges WHERE file = $file)
GROUP BY flag
ORDER BY flag;
