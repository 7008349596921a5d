CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);
INSERT INTO reference_counters (year, last_number)
SELECT extract(year FROM now())::int, last_value FROM submission_reference_seq WHERE is_called;
DROP SEQUENCE submission_reference_seq;
