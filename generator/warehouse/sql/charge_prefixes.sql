-- Each prefix given for a charge ID, with the IDs that start with it (none, one or several).
SELECT
    p.prefix,
    coalesce(list(DISTINCT c.charge_id ORDER BY c.charge_id)
             FILTER (WHERE c.charge_id IS NOT NULL), []) AS ids
FROM unnest($prefixes) AS p(prefix)
LEFT JOIN every_charge c ON starts_with(c.charge_id, p.prefix)
GROUP BY p.prefix;
