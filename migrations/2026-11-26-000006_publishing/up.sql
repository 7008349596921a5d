-- Publishing to the site.
ALTER TABLE submissions
    -- The first publication. Kept when the piece is unpublished: its slug then
    -- answers 410 Gone instead of 404, and it can never be reused.
    ADD COLUMN published_at TIMESTAMPTZ,
    -- The last unpublish; cleared when the piece is published again.
    ADD COLUMN retracted_at TIMESTAMPTZ;

UPDATE submissions SET published_at = updated_at WHERE state = 'published';

-- The public list and the feed: published pieces, newest first, by keyset.
CREATE INDEX submissions_public ON submissions (published_at DESC, id DESC)
    WHERE state = 'published';
-- The scheduler's question: which scheduled pieces are due?
CREATE INDEX submissions_due ON submissions (publish_at) WHERE state = 'scheduled';
-- The latest retraction, which changes the public list without a row in it.
CREATE INDEX submissions_retracted ON submissions (retracted_at)
    WHERE retracted_at IS NOT NULL;
