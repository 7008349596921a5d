-- Outgoing mail to authors.

-- What was sent: the Message-ID (so the author's reply threads back to the
-- submission) and the address it went to.
ALTER TABLE outbox
    ADD COLUMN message_id TEXT,
    ADD COLUMN recipient TEXT;
-- Acknowledgements are rate-limited per sender: counted by recipient and time.
CREATE INDEX outbox_recipient_topic ON outbox (recipient, topic, created_at);

-- Set when the author sends a new text after changes were requested, so the
-- editors' list can show the piece as revised.
ALTER TABLE submissions ADD COLUMN revised_at TIMESTAMPTZ;
