-- The author's status link: a bearer token in a URL, mailed with the
-- acknowledgement. Only its SHA-256 is kept, so a copy of the database
-- opens no author's page; a revoked link reads nothing.
CREATE TABLE author_links (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    token_sha256 TEXT NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE INDEX author_links_submission ON author_links (submission_id);

-- The author's answers, given through the link. NULL: not answered yet.
-- `disclosure` is the author's words, or 'none'.
ALTER TABLE submissions
    ADD COLUMN exclusive_confirmed BOOLEAN,
    ADD COLUMN disclosure TEXT CHECK (char_length(disclosure) BETWEEN 1 AND 2000),
    ADD COLUMN declared_at TIMESTAMPTZ,
    ADD CONSTRAINT submissions_declared_together
        CHECK ((exclusive_confirmed IS NULL) = (declared_at IS NULL)
               AND (disclosure IS NULL) = (declared_at IS NULL));
