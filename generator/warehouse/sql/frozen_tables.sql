-- The finalized months read from their frozen records (frozen.py): which they are, and each
-- project's month total as it was when the month was finalized (the history cost spikes
-- compare an open month with). Empty when no month is finalized.
CREATE OR REPLACE TABLE frozen_periods (period VARCHAR);
CREATE OR REPLACE TABLE frozen_totals (period VARCHAR, project_id VARCHAR, total DECIMAL(38, 18));
