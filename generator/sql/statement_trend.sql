-- Amount due per period for every (PI, project), over every period loaded: the trend chart.
SELECT period, pi_email, project_id, sum(charged) AS charged
FROM statement_lines
GROUP BY period, pi_email, project_id;
