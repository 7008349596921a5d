ALTER TABLE inbound_messages
    DROP CONSTRAINT inbound_messages_dismissed_by_when,
    DROP COLUMN dismissed_by,
    DROP COLUMN dismissed_at;
