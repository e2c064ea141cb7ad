-- The tag keys of the files being ingested ($files, as shown) and on how many rows each has a
-- value (Tags that are not a flat object are not read: invalid_tags).
SELECT j.key, count(*) AS n
FROM charges c, json_each(c.Tags) AS j
WHERE list_contains($files, c.file) AND c.Tags IS NOT NULL AND NOT c.invalid_tags
  AND nullif(trim(j.value ->> '$'), '') IS NOT NULL
GROUP BY j.key
ORDER BY j.key;
