-- The approvals refuse_approvals.sql took out, in file order.
SELECT * FROM refused_approvals ORDER BY review_file, review_line, charge_id;
