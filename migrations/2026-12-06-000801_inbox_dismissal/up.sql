-- An editor sets inbox mail aside without losing it: the message and its raw
-- bytes stay; the inbox lists it under "dismissed" until someone restores
-- it. Who dismissed it is kept, so a mistaken dismissal can be asked about.
ALTER TABLE inbound_messages
    ADD COLUMN dismissed_at TIMESTAMPTZ,
    ADD COLUMN dismissed_by BIGINT REFERENCES users (id),
    ADD CONSTRAINT inbound_messages_dismissed_by_when
        CHECK (dismissed_by IS NULL OR dismissed_at IS NOT NULL);
