-- A finalized month's place in the history: its name and its projects' totals.
INSERT INTO frozen_periods SELECT unnest($periods);
INSERT INTO frozen_totals BY NAME SELECT period, project_id, total FROM read_parquet($totals);
