CREATE INDEX CONCURRENTLY submissions_search ON submissions USING gin (search);
