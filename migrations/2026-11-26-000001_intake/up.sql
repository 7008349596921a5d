-- Every message that reaches the desk, whatever became of it. The raw bytes are
-- kept for every outcome so any decision can be replayed and nothing is lost.
CREATE TABLE inbound_messages (
    id BIGSERIAL PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome TEXT NOT NULL CHECK (outcome IN
        ('quarantined', 'duplicate', 'ignored_auto', 'reply', 'submission', 'unmatched')),
    -- Why the outcome was chosen: the quarantine reason, the automatic-mail signal, ...
    outcome_detail TEXT,
    -- The Message-ID, or "sha256:<hex>" of the raw bytes when there is none.
    -- NULL for quarantined mail, which is never deduplicated.
    dedup_key TEXT,
    duplicate_of BIGINT REFERENCES inbound_messages (id),
    message_id TEXT,
    sender_email TEXT,
    sender_name TEXT,
    subject TEXT,
    raw BYTEA NOT NULL,
    -- The size the message had on arrival (larger than raw when it was cut at the limit).
    raw_size BIGINT NOT NULL,
    raw_sha256 TEXT NOT NULL,
    submission_id BIGINT
);

-- The one row that owns a dedup key; later copies are recorded as duplicates of it.
-- A plain INSERT ... ON CONFLICT DO NOTHING against this index is what makes two
-- concurrent deliveries of one message produce one submission.
CREATE UNIQUE INDEX inbound_messages_dedup_key ON inbound_messages (dedup_key)
    WHERE outcome <> 'duplicate';
CREATE INDEX inbound_messages_outcome_received ON inbound_messages (outcome, received_at DESC, id DESC);

CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last_number INTEGER NOT NULL
);

CREATE TABLE submissions (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN
        ('draft', 'in_review', 'approved', 'scheduled', 'published', 'rejected', 'withdrawn')),
    title TEXT NOT NULL,
    author_name TEXT,
    author_email TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    message_id TEXT,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    cover_note TEXT,
    word_count INTEGER NOT NULL,
    auth_verdict TEXT NOT NULL CHECK (auth_verdict IN ('pass', 'fail', 'none')),
    suspicious BOOLEAN NOT NULL DEFAULT false,
    inbound_message_id BIGINT NOT NULL REFERENCES inbound_messages (id),
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX submissions_author_email ON submissions (author_email);
CREATE INDEX submissions_received ON submissions (received_at DESC, id DESC);

ALTER TABLE inbound_messages
    ADD CONSTRAINT inbound_messages_submission_fk
    FOREIGN KEY (submission_id) REFERENCES submissions (id);

-- Message-IDs that belong to a submission's thread (the original, the author's
-- replies, and later our own outgoing mail): a reply naming any of them attaches.
CREATE TABLE submission_thread_ids (
    message_id TEXT NOT NULL,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, submission_id)
);

CREATE TABLE attachments (
    id BIGSERIAL PRIMARY KEY,
    inbound_message_id BIGINT NOT NULL REFERENCES inbound_messages (id),
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    -- Position among the submission's attachments, 1-based, stable for download URLs.
    n INTEGER NOT NULL,
    filename TEXT,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    -- This file holds the article text.
    is_article BOOLEAN NOT NULL DEFAULT false,
    -- Why text could not be taken from a document (too large, malformed, ...).
    extraction_error TEXT,
    UNIQUE (submission_id, n)
);

-- Each text the submission has had; revision 1 is what arrived by email.
CREATE TABLE submission_revisions (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('email', 'reply', 'editor')),
    inbound_message_id BIGINT REFERENCES inbound_messages (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (submission_id, number)
);

-- Mail exchanged with the author about a submission.
CREATE TABLE correspondence (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    inbound_message_id BIGINT REFERENCES inbound_messages (id),
    subject TEXT,
    body_text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX correspondence_submission ON correspondence (submission_id, created_at);
