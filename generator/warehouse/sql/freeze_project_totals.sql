-- A finalized month's frozen record: each project's month total as flags.sql reckons it
-- for cost spikes (usage by the project of its tags and registry, corrections left out).
COPY (
    SELECT period, original_project_id AS project_id, sum(cost) AS total
    FROM charges
    WHERE period = $period AND original_project_id IS NOT NULL AND corrects_charge_id IS NULL
    GROUP BY ALL
    ORDER BY project_id
) TO $path (FORMAT parquet, COMPRESSION zstd);
