-- The site's WordPress: a third kind of delivery beside emails and webhooks,
-- and the post each piece became there (the submissions table has no room
-- for more columns, and a piece has at most one post).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('email', 'webhook', 'wordpress'));

CREATE TABLE wordpress_posts (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL,
    -- The post's address as WordPress last gave it; a draft's is no public page.
    link TEXT NOT NULL,
    -- publish, future, draft, pending, private or trash: as WordPress last answered.
    status TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
