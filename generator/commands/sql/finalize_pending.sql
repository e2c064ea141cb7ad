-- `periods finalize`: how many charges of $period still wait for a review decision.
SELECT count(*) AS pending FROM charges WHERE period = $period AND status = 'pending';
