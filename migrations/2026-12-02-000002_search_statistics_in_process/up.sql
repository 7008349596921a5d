-- A search's expected matches are now reckoned by the service from a
-- snapshot of the search column's statistics (src/submissions/search), not
-- by planning the search again here on every request.
DROP FUNCTION search_match_estimate(text);
