ALTER TABLE inbound_messages DROP COLUMN forwarded_from;
