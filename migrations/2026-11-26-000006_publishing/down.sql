DROP INDEX submissions_retracted;
DROP INDEX submissions_due;
DROP INDEX submissions_public;
ALTER TABLE submissions DROP COLUMN retracted_at, DROP COLUMN published_at;
