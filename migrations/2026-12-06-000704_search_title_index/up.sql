-- The titles' words on their own, for a search by relevance, which lists
-- the pieces whose title matches first: with this index those are found
-- without reading the text of every piece that matches somewhere.
CREATE INDEX CONCURRENTLY submissions_search_title ON submissions USING gin (search_words(title));
