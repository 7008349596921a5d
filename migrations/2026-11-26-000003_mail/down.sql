ALTER TABLE submissions DROP COLUMN revised_at;
DROP INDEX outbox_recipient_topic;
ALTER TABLE outbox DROP COLUMN recipient, DROP COLUMN message_id;
