DROP TABLE correspondence;
DROP TABLE submission_revisions;
DROP TABLE attachments;
DROP TABLE submission_thread_ids;
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_submission_fk;
DROP TABLE submissions;
DROP TABLE reference_counters;
DROP TABLE inbound_messages;
