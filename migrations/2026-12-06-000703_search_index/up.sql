-- Built without blocking writes (hence outside a transaction, alone in its
-- migration: PostgreSQL refuses CONCURRENTLY inside a transaction block).
CREATE INDEX CONCURRENTLY submissions_search_next ON submissions USING gin (search_next);
