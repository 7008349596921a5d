-- The words by language (…000701) replace the `simple` ones. Every step is
-- a change of the catalogue, no row is read or written: the exclusive lock
-- is held for milliseconds. (Dropping a column leaves its bytes in the rows
-- until they are next written or the table is vacuumed full.)
DROP INDEX submissions_search;
ALTER TABLE submissions DROP COLUMN search;
ALTER TABLE submissions RENAME COLUMN search_next TO search;
ALTER INDEX submissions_search_next RENAME TO submissions_search;
-- As migration …000003_api_under_load set it for the `simple` column: the
-- search estimates its matches from these statistics (src/submissions/search).
ALTER TABLE submissions ALTER COLUMN search SET STATISTICS 2000;

CREATE OR REPLACE FUNCTION submissions_search_next() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := submission_search(NEW.title, NEW.author_name, NEW.author_email, NEW.body_text);
    RETURN NEW;
END
$$;
ALTER FUNCTION submissions_search_next() RENAME TO submissions_search_words;
