-- The desk's signed-in sessions, so that the server can end one at once:
-- signing out deletes its row, and so do a new password and a deactivation
-- (which also raise users.session_epoch). The cookie carries 32 random bytes;
-- only their SHA-256 is kept, so a copy of the database signs nobody in.
CREATE TABLE desk_sessions (
    token_sha256 TEXT PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX desk_sessions_user ON desk_sessions (user_id);
-- Ended sessions are swept at each sign-in.
CREATE INDEX desk_sessions_expires ON desk_sessions (expires_at);
