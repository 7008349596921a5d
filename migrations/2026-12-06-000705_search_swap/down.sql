ALTER FUNCTION submissions_search_words() RENAME TO submissions_search_next;
CREATE OR REPLACE FUNCTION submissions_search_next() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_next := submission_search(NEW.title, NEW.author_name, NEW.author_email, NEW.body_text);
    RETURN NEW;
END
$$;
ALTER TABLE submissions ALTER COLUMN search SET STATISTICS -1;
ALTER INDEX submissions_search RENAME TO submissions_search_next;
ALTER TABLE submissions RENAME COLUMN search TO search_next;
-- As migration …000002_editors made it (this rewrites the table).
ALTER TABLE submissions
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A')
        || setweight(to_tsvector('simple', coalesce(author_name, '') || ' ' || author_email), 'B')
        || setweight(to_tsvector('simple', body_text), 'C')
    ) STORED;
CREATE INDEX submissions_search ON submissions USING gin (search);
ALTER TABLE submissions ALTER COLUMN search SET STATISTICS 2000;
