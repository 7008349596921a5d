-- The sender of the piece a message forwards, {"name": …, "email": …}:
-- the byline editors are offered for the submission it becomes. The author
-- (the correspondent) stays the message's own sender.
ALTER TABLE inbound_messages ADD COLUMN forwarded_from JSONB;
