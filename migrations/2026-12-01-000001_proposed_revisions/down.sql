DROP INDEX outbox_recent_acknowledgements;
ALTER TABLE submission_revisions DROP COLUMN sender_verdict;
DROP TABLE proposed_revisions;
