-- A search's words at a fraction of the cost, found as before.
--
-- PostgreSQL evaluates search_query when it plans each statement of a
-- search. It was a loop that ran a query of its own and a ts_rewrite per
-- word; it is now one expression. And search_arabic, an SQL expression that
-- PostgreSQL inlined into every caller, set up its ten Arabic rules anew in
-- each statement even for words without an Arabic letter; as PL/pgSQL it
-- returns such words at once, and its rules are prepared once per
-- connection. Together a tenth to a half of a millisecond per statement.
-- Both give the same results as before, so nothing indexed changes.

CREATE OR REPLACE FUNCTION search_arabic(words text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    IF words !~ '[\u0621-\u064A]' THEN
        RETURN words;
    END IF;
    RETURN
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
        '(^|[^\u0621-\u064A])م([\u0621-\u064A])ا([\u0621-\u064A]{2})(?![\u0621-\u064A])', '\1م\2\3', 'g');
END
$$;

-- What an editor typed (web-search syntax: quotes, "or", "-") as a search:
-- its words through search_normalise and the oped_search configuration,
-- then each English agent noun in -ant or verb in -ate (migrants, migrate,
-- migration), which Snowball keeps apart when the root is short, also
-- matching the other form. websearch_to_tsquery writes every word as a
-- quoted lexeme with no prefix or weight mark, after the start, a space,
-- "(" or "!" and before the end, a space or ")": only whole lexemes are
-- rewritten, never part of one.
CREATE OR REPLACE FUNCTION search_query(words text) RETURNS tsquery
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN regexp_replace(
        websearch_to_tsquery('oped_search', search_normalise(words))::text,
        '(^|[ (!])''([a-z]{4,})(?:ant|at)''(?=$|[ )])',
        '\1( ''\2at'' | ''\2ant'' )',
        'g')::tsquery;
END
$$;
