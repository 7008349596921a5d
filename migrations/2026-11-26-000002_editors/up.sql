-- Editors, the review workflow and the outbox.

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    -- Lower-cased: logins match whatever case is typed.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('editor', 'publisher', 'admin')),
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    -- Raised when the password changes or the account is deactivated; tokens
    -- carry the epoch they were issued in, so older ones stop working.
    session_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Opaque refresh tokens, stored as SHA-256 hashes, single use: each refresh
-- marks its token used and issues a new one in the same family. A used token
-- presented again revokes the whole family (it was stolen or replayed).
CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    family TEXT NOT NULL,
    session_epoch INTEGER NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);

-- Failed logins per account ("account:<email>") and per client address
-- ("address:<ip>"), in a sliding window, shared by every replica.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ
);

ALTER TABLE submissions
    ADD COLUMN standfirst TEXT,
    ADD COLUMN slug TEXT,
    ADD COLUMN author_bio TEXT,
    ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN assignee_id BIGINT REFERENCES users (id),
    ADD COLUMN publish_at TIMESTAMPTZ,
    -- Full-text search over title, text and author; 'simple' so that Arabic and
    -- every other language are indexed word for word, without English stemming.
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', coalesce(author_name, '') || ' ' || author_email), 'B')
        || setweight(to_tsvector('simple', body_text), 'C')
    ) STORED;
CREATE UNIQUE INDEX submissions_slug ON submissions (slug) WHERE slug IS NOT NULL;
CREATE INDEX submissions_search ON submissions USING gin (search);
-- The editors' list: newest first within a state, walked by keyset cursor.
CREATE INDEX submissions_state_received ON submissions (state, received_at DESC, id DESC);
CREATE INDEX submissions_assignee_received ON submissions (assignee_id, received_at DESC, id DESC);

ALTER TABLE submission_revisions ADD COLUMN editor_id BIGINT REFERENCES users (id);

-- Every transition: who moved what from where to where, and why.
CREATE TABLE submission_history (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    -- NULL when the scheduler acted.
    actor_id BIGINT REFERENCES users (id),
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX submission_history_submission ON submission_history (submission_id, id);

-- Editors' internal notes: never emailed, never public.
CREATE TABLE submission_notes (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX submission_notes_submission ON submission_notes (submission_id, id);

-- Side effects (emails to authors, webhooks to the site), written in the same
-- transaction as the change that causes them and delivered by workers.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    -- What the job is, e.g. 'changes_requested', 'opinion.published'.
    topic TEXT NOT NULL,
    submission_id BIGINT REFERENCES submissions (id) ON DELETE SET NULL,
    payload JSONB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_submission ON outbox (submission_id);
