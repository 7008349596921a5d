-- As migration 2026-12-02-000001_search_window made it.
-- How many pieces PostgreSQL expects a search to match, by its statistics of
-- the search column (the same estimate its planner makes). A search uses it
-- to size the recent window it looks in first (src/submissions/search.rs).
-- The query is quoted into the EXPLAIN with %L, so it is planned for the
-- words given, never with a cached generic plan. (VOLATILE, the default:
-- PostgreSQL allows EXPLAIN only there.)
CREATE FUNCTION search_match_estimate(query text) RETURNS double precision
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE format(
        'EXPLAIN (FORMAT JSON) SELECT 1 FROM submissions '
        'WHERE search @@ websearch_to_tsquery(''simple'', %L)', query)
        INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
END
$$;
