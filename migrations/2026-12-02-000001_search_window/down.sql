DROP FUNCTION search_match_estimate(text);
