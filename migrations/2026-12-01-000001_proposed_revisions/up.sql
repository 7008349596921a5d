-- A new text that arrived by mail and waits for an editor: the author's
-- reply to a piece that readers may already see, or one whose sender could
-- not be authenticated. Mail never changes a piece's text on its own.
CREATE TABLE proposed_revisions (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    inbound_message_id BIGINT NOT NULL REFERENCES inbound_messages (id),
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    -- The sender-authentication verdict of the reply that brought it.
    sender_verdict TEXT NOT NULL CHECK (sender_verdict IN ('pass', 'fail', 'none')),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'discarded')),
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMPTZ,
    -- The revision it became, once accepted.
    revision_number INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX proposed_revisions_submission ON proposed_revisions (submission_id, id);
CREATE INDEX proposed_revisions_pending ON proposed_revisions (submission_id)
    WHERE status = 'pending';

-- Revisions that came from a reply carry its verdict too, so editors can
-- see how sure the desk was of who sent each text.
ALTER TABLE submission_revisions ADD COLUMN sender_verdict TEXT
    CHECK (sender_verdict IN ('pass', 'fail', 'none'));

-- The acknowledgements of the last hour, counted for the desk-wide cap.
CREATE INDEX outbox_recent_acknowledgements ON outbox (created_at)
    WHERE topic = 'acknowledgement';
