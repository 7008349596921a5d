-- Search that finds what editors mean, in English and in Arabic, each word
-- by its script. Words in Latin letters are stemmed by Snowball's English
-- stemmer (no stop words: every word can still be searched for); Arabic
-- words are normalised and lightly stemmed first, in SQL, as Lucene's
-- ArabicNormalizer and ArabicStemmer do (PostgreSQL's own Arabic stemmer
-- treats a word differently with and without its article: it turns
-- "انتخابات" into "انتخابا" and "الانتخابات" into "انتخاب").
--
-- The new words go into `search_next`, kept by a trigger from here on and
-- filled for older pieces in batches by the next migration; its indexes are
-- built without blocking writes, then it replaces the `simple` column
-- (migration …000705_search_swap). Changing the generated column's
-- expression in place would rewrite the table under an exclusive lock.

CREATE TEXT SEARCH DICTIONARY english_stem_all_words (TEMPLATE = snowball, LANGUAGE = english);
COMMENT ON TEXT SEARCH DICTIONARY english_stem_all_words IS
    'Snowball English without stop words: a search for "the" or "not" still finds them';

CREATE TEXT SEARCH CONFIGURATION oped_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION oped_search
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart WITH english_stem_all_words;
-- Other words (Arabic, accented Latin) stay as `simple` has them, lower-cased,
-- after search_normalise; addresses, hosts, numbers likewise.

-- Arabic text as Lucene's ArabicNormalizer and ArabicStemmer (Larkey's
-- light stemming) make it, word by word, a word being a run of Arabic
-- letters: tashkeel and tatweel removed, أ إ آ ٱ as ا, ى as ي, ة as ه; then
-- one prefix (ال وال بال كال فال لل leaving at least two letters, و leaving
-- at least three); then the suffixes ها ان ات ون ين يه ه ي, each in turn and
-- each only if two letters remain. Last, the broken plural of the pattern
-- مفاعل is folded onto its singular مفعل(ة) (مدارس and مدرسة both become
-- مدرس), which also folds a few words of that shape that are not plurals
-- (مقاتل onto مقتل). Text without Arabic letters is returned as it is.
CREATE FUNCTION search_arabic(words text) RETURNS text
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

-- What both the pieces and the searches go through before the words are
-- parsed: an English possessive's 's (or ’s) dropped, as Lucene's
-- EnglishPossessiveFilter does (PostgreSQL's parser would make it a word
-- "s"), and Arabic as search_arabic makes it.
CREATE FUNCTION search_normalise(words text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN search_arabic(regexp_replace(words, '[''’][sS]\M', '', 'g'));

-- The words of a text as the search indexes them.
CREATE FUNCTION search_words(words text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN to_tsvector('oped_search', search_normalise(words));

-- A piece's words: its title (weight A), its author's name and address (B)
-- and its text (C), as the `simple` column weighed them.
CREATE FUNCTION submission_search(title text, author_name text, author_email text, body_text text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN setweight(search_words(title), 'A')
    || setweight(search_words(coalesce(author_name, '') || ' ' || author_email), 'B')
    || setweight(search_words(body_text), 'C');

-- What an editor typed (web-search syntax: quotes, "or", "-") as a search.
-- Besides what search_words does, an English agent noun in -ant and its verb
-- in -ate find each other (migrants, migrate, migration), which Snowball
-- keeps apart when the root is short: each such word of the search also
-- matches the other form. (Done here, on the few words of a search, rather
-- than on every word of every piece.)
CREATE FUNCTION search_query(words text) RETURNS tsquery
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

ALTER TABLE submissions ADD COLUMN search_next tsvector;

CREATE FUNCTION submissions_search_next() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_next := submission_search(NEW.title, NEW.author_name, NEW.author_email, NEW.body_text);
    RETURN NEW;
END
$$;

CREATE TRIGGER submissions_search_words
    BEFORE INSERT OR UPDATE OF title, author_name, author_email, body_text ON submissions
    FOR EACH ROW EXECUTE FUNCTION submissions_search_next();
