DROP INDEX submissions_open_by_deadline;
ALTER TABLE submissions DROP COLUMN held_at;
ALTER TABLE submissions DROP COLUMN respond_by;
