-- What is left of a charge after the corrections made against it so far (rejected ones do
-- not count), in every month: the room a new credit has.
SELECT
    o.cost AS charged,
    o.cost + coalesce(sum(c.cost), 0) AS remaining
FROM every_charge o
LEFT JOIN every_charge c ON c.corrects_charge_id = o.charge_id AND c.status <> 'rejected'
WHERE o.charge_id = $charge_id
GROUP BY o.cost;
