-- Near-duplicate lookup: pg_trgm similarity against MinHash LSH bands, on
-- 20,000 texts of 800 words (a benchmark, run by hand; figures in
-- BENCHMARKS.md). Run it in a scratch database:
--   createdb -h 127.0.0.1 -U postgres simbench
--   psql -h 127.0.0.1 -U postgres -d simbench -f bench/near_duplicates.sql
-- The bands here are random (16 per row, as text::fingerprint makes): the
-- lookup's cost is the GIN index's, whatever the values.
\timing on
DROP TABLE IF EXISTS t;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE t AS
SELECT g AS id,
       (SELECT string_agg(substr(md5((g * 1000 + k)::text), 1, 3 + (g + k) % 7), ' ') FROM generate_series(1, 800) k) AS body,
       ARRAY(SELECT (random() * 9e18)::bigint FROM generate_series(1, 16 + g * 0)) AS bands
FROM generate_series(1, 20000) g;
SELECT pg_size_pretty(pg_total_relation_size('t'));
CREATE INDEX t_trgm ON t USING gin (body gin_trgm_ops);
CREATE INDEX t_bands ON t USING gin (bands);
SELECT pg_size_pretty(pg_relation_size('t_trgm')) AS trgm_index, pg_size_pretty(pg_relation_size('t_bands')) AS bands_index;
ANALYZE t;
SET pg_trgm.similarity_threshold = 0.5;
-- A near-copy of row 777: the same text with a few words changed.
SELECT body AS probe FROM t WHERE id = 777 \gset
SELECT count(*) FROM t WHERE body % replace(:'probe', substr(:'probe', 1, 20), 'changed words here');
SELECT count(*) FROM t WHERE body % replace(:'probe', substr(:'probe', 1, 20), 'changed words here');
SELECT bands AS pb FROM t WHERE id = 777 \gset
SELECT count(*) FROM t WHERE bands && :'pb'::bigint[];
SELECT count(*) FROM t WHERE bands && :'pb'::bigint[];
-- Upkeep: inserting 500 more rows with each index.
INSERT INTO t SELECT g, (SELECT string_agg(substr(md5((g * 1000 + k)::text), 1, 3 + (g + k) % 7), ' ') FROM generate_series(1, 800) k), ARRAY(SELECT (random() * 9e18)::bigint FROM generate_series(1, 16 + g * 0)) FROM generate_series(30001, 30500) g;
DROP INDEX t_trgm;
INSERT INTO t SELECT g, (SELECT string_agg(substr(md5((g * 1000 + k)::text), 1, 3 + (g + k) % 7), ' ') FROM generate_series(1, 800) k), ARRAY(SELECT (random() * 9e18)::bigint FROM generate_series(1, 16 + g * 0)) FROM generate_series(40001, 40500) g;
DROP TABLE t;
