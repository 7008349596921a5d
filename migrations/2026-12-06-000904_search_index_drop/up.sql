-- The words-only index is replaced by submissions_received_search, which
-- serves every search it served: keeping both would double the work of each
-- piece's words on every write. Dropped without blocking reads or writes.
DROP INDEX CONCURRENTLY submissions_search;
