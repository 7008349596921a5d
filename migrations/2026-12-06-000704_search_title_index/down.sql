DROP INDEX submissions_search_title;
