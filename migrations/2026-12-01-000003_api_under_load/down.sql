ALTER TABLE submissions ALTER COLUMN search SET STATISTICS -1;
ALTER TABLE login_failures RENAME COLUMN last_failure_at TO window_started_at;
