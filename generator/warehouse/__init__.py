"""Stage 2, warehouse: every FOCUS row normalized into DuckDB, flagged, decided by the review
files and corrections, checked against finalized periods, and rolled up into rounded
statement lines (``load.load`` runs it; the SQL is in ``sql/``)."""
