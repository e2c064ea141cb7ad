-- The PIs billed in a period (the PIs `links -p` lists), by lower-case email as the site
-- groups them.
SELECT DISTINCT lower(pi_email) AS pi_email
FROM statement_lines
WHERE period = $period AND pi_email IS NOT NULL
ORDER BY pi_email;
