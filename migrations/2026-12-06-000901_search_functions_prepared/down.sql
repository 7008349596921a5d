-- search_arabic and search_query as migration …000701_search_by_language made them.
CREATE OR REPLACE FUNCTION search_arabic(words text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN CASE WHEN words !~ '[\u0621-\u064A]' THEN words ELSE
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(translate(words,
        U&'\0623\0625\0622\0671\0649\0629\064B\064C\064D\064E\064F\0650\0651\0652\0653\0654\0655\0656\0657\0658\0659\065A\065B\065C\065D\065E\065F\0670\0640',
        U&'\0627\0627\0627\0627\064A\0647'),
        '(^|[^\u0621-\u064A])(?:(?:وال|بال|كال|فال|ال|لل)(?=[\u0621-\u064A]{2})|و(?=[\u0621-\u064A]{3}))', '\1', 'g'),
        '([\u0621-\u064A]{2})ها(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ان(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ات(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ون(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ين(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})يه(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ه(?![\u0621-\u064A])', '\1', 'g'),
        '([\u0621-\u064A]{2})ي(?![\u0621-\u064A])', '\1', 'g'),
        '(^|[^\u0621-\u064A])م([\u0621-\u064A])ا([\u0621-\u064A]{2})(?![\u0621-\u064A])', '\1م\2\3', 'g')
END;

CREATE OR REPLACE FUNCTION search_query(words text) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    search tsquery := websearch_to_tsquery('oped_search', search_normalise(words));
    root text;
BEGIN
    FOR root IN
        SELECT DISTINCT substring(lexeme FROM '^([a-z]{4,})(?:ant|at)$')
        FROM unnest(tsvector_to_array(search_words(words))) AS lexeme
        WHERE lexeme ~ '^[a-z]{4,}(ant|at)$'
    LOOP
        search := ts_rewrite(ts_rewrite(search, quote_literal(root || 'ant')::tsquery,
                                       quote_literal(root || 'at')::tsquery),
                            quote_literal(root || 'at')::tsquery,
                            (quote_literal(root || 'at') || ' | ' || quote_literal(root || 'ant'))::tsquery);
    END LOOP;
    RETURN search;
END
$$;
