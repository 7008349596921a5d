-- Reference numbers come from a sequence instead of a counter row: every new
-- submission bumped that one row and then held its lock until commit, so
-- intake stored one submission at a time. A sequence is never locked; the
-- price is a gap when a transaction that took a number rolls back.
CREATE SEQUENCE submission_reference_seq;
SELECT setval('submission_reference_seq', max(last_number)) FROM reference_counters HAVING max(last_number) > 0;
DROP TABLE reference_counters;
