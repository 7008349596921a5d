-- Login throttling counts a series of failures while they keep coming, with
-- growing waits, so the row keeps the latest failure rather than the first.
ALTER TABLE login_failures RENAME COLUMN window_started_at TO last_failure_at;

-- Statistics fine enough to tell a rare word (or a typo) from a common one:
-- with the default target the planner walks the newest-first index for a
-- word in no row and reads the whole table.
ALTER TABLE submissions ALTER COLUMN search SET STATISTICS 2000;
