ALTER TABLE submissions
    DROP CONSTRAINT submissions_declared_together,
    DROP COLUMN declared_at,
    DROP COLUMN disclosure,
    DROP COLUMN exclusive_confirmed;
DROP TABLE author_links;
