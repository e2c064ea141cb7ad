-- A configured pattern rule: flag pattern:<name> where any of its columns matches.
-- {condition} is an OR of regexp_matches over the rule's quoted columns.
INSERT INTO flags
SELECT charge_id, 'pattern:' || $name FROM normalized
WHERE corrects_charge_id IS NULL AND ({condition});
