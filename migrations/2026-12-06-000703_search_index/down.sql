DROP INDEX submissions_search_next;
