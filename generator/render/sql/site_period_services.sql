-- Each period's billed totals per source and service: sums of rounded statement lines.
SELECT
    period,
    source,
    service,
    sum(charges) AS charges,
    sum(list_cost) AS list_cost,
    sum(list_cost - contracted_cost) AS discount,
    sum(contracted_cost - charged) AS subsidy,
    sum(charged) AS charged
FROM statement_lines
GROUP BY ALL
ORDER BY period, source, service;
