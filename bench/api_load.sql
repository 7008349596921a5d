-- Loads the editor API benchmark's data set (used by bench/api; not a migration).
--
--   psql -v rows=1000000 -v words=800 -v part=1 -v parts=1 -f bench/api_load.sql
--
-- Run on a freshly migrated, otherwise empty database. Phases, chosen with
-- -v phase=...:
--   prepare  vocabulary, sentence pool, editors, the shared inbound message;
--            drops the GIN index (rebuilt once at the end, far faster than
--            maintaining it row by row)
--   rows     submissions with id in part `part` of `parts` (several sessions
--            may run this at once, one part each: ids are given explicitly)
--   finish   attachments, sequence, GIN index, sentence pool dropped
-- VACUUM ANALYZE is run by bench/api afterwards (it cannot run in a script
-- transaction block).
--
-- The text: a vocabulary of 100,000 words (the 120 most frequent are real
-- English words, the rest made of syllables) drawn with a Zipf-like law
-- (rank r has probability ~ 1/r, like natural language), cut into a pool of
-- 400,000 sixteen-word sentences. Each body is five runs of consecutive
-- sentences from random places in the pool: `words` words in all, every body
-- different, word frequencies as in prose, so the tsvector column and its
-- GIN index have a realistic size and shape.
\set ON_ERROR_STOP on
\if :{?phase}
\else
\set phase all
\endif
SET client_min_messages = warning;
SET maintenance_work_mem = '1GB';
SET synchronous_commit = off;
SET jit = off;

SELECT (:'phase' IN ('prepare', 'all')) AS do_prepare,
       (:'phase' IN ('rows', 'all')) AS do_rows,
       (:'phase' IN ('finish', 'all')) AS do_finish \gset

\if :do_prepare
DROP INDEX IF EXISTS submissions_received_search;

CREATE UNLOGGED TABLE api_bench_vocab (rank INTEGER PRIMARY KEY, word TEXT NOT NULL);
INSERT INTO api_bench_vocab
SELECT ordinality, word FROM unnest(string_to_array(
    'the of and to a in is that for it as with was on be by this are not or have from '
    'but an they which you we at his her one their there been has more will would all '
    'can if who so what no about than when people also its only new some into may other '
    'could our these time most should government public now those many like over even '
    'after must because first years how city country state policy law power world between '
    'health school money work children market security climate water energy rights war '
    'economy election court housing tax police budget trade europe china india africa '
    'america president minister parliament council union party vote democracy reform', ' '))
    WITH ORDINALITY AS t(word, ordinality);
-- The long tail: ranks 121..100000 as two- to four-syllable made-up words.
INSERT INTO api_bench_vocab
SELECT r, s[1 + r % 37] || s[1 + (r / 37) % 37]
          || CASE WHEN r >= 1369 THEN s[1 + (r / 1369) % 37] ELSE '' END
          || CASE WHEN r >= 50653 THEN s[1 + (r / 50653) % 37] ELSE 'n' END
FROM generate_series(121, 100000) AS r,
     (SELECT string_to_array('ka ve lo mi nu sa te ri po du fe ga hi jo ku la me ni or pe '
                             'qu ro si ta ul va wi xe yo za bre cla dri fro gle pla tru', ' ') AS s) AS syl;

CREATE UNLOGGED TABLE api_bench_sentences (n INTEGER PRIMARY KEY, text TEXT NOT NULL);
INSERT INTO api_bench_sentences
SELECT n, string_agg(v.word, ' ' ORDER BY i) || '.'
FROM generate_series(1, 400000) AS n
CROSS JOIN LATERAL (
    SELECT i, least(100000, floor(exp(random() * ln(100001)))::int + 0 * n) AS rank
    FROM generate_series(1, 16) AS i
) AS pick
JOIN api_bench_vocab v ON v.rank = pick.rank
GROUP BY n;

-- Editors the pieces are assigned to (they never log in; the hash is a
-- placeholder that matches no password).
INSERT INTO users (email, name, role, password_hash)
SELECT 'assignee' || i || '@desk.example', 'Assignee ' || i, 'editor',
       '$argon2id$v=19$m=19456,t=2,p=1$hVQ8KSEVDt8xnDWfTBR7Lg$9PEOsg9m3x/WWIaj0/gxmpcoxe3LvKPnNjmRU86dZ+c'
FROM generate_series(1, 20) AS i;

-- One shared inbound message: every submission must point at one.
INSERT INTO inbound_messages (received_at, outcome, raw, raw_size, raw_sha256, message_id)
VALUES ('2019-01-01T00:00:00Z', 'submission', '\x00', 1, repeat('0', 64), '<api-bench@example.org>');
\endif

\if :do_rows
SELECT min(id) AS first_assignee FROM users WHERE email LIKE 'assignee%@desk.example' \gset
SELECT id AS inbound_id FROM inbound_messages WHERE message_id = '<api-bench@example.org>' \gset
-- Part `part` of `parts`: ids lo..hi.
SELECT ((:part - 1) * :rows / :parts + 1) AS lo, (:part * :rows / :parts) AS hi \gset
-- Sentences per body, in five runs.
SELECT greatest(1, round(:words / 16.0 / 5))::int AS run \gset

INSERT INTO submissions (
    id, reference, state, title, author_name, author_email, received_at, message_id,
    body_text, body_html, cover_note, word_count, auth_verdict, suspicious,
    inbound_message_id, version, created_at, updated_at, standfirst, tags, assignee_id, respond_by)
SELECT g,
       'OE-' || to_char(t.at AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(g::text, 7, '0'),
       CASE WHEN p.st < 0.80 THEN 'draft'
            WHEN p.st < 0.86 THEN 'in_review'
            WHEN p.st < 0.89 THEN 'approved'
            WHEN p.st < 0.90 THEN 'scheduled'
            WHEN p.st < 0.97 THEN 'published'
            WHEN p.st < 0.995 THEN 'rejected'
            ELSE 'withdrawn' END,
       ti.title,
       a.first || ' ' || a.last,
       lower(a.first || '.' || a.last || (g % 997)) || '@example.org',
       t.at,
       '<bench-' || g || '@example.org>',
       b.body,
       '<p>' || replace(b.body, '. ', '.</p><p>') || '</p>',
       CASE WHEN g % 4 = 0 THEN 'Dear editor, please consider the attached piece.' END,
       :words,
       CASE WHEN g % 50 = 0 THEN 'fail' WHEN g % 10 = 0 THEN 'none' ELSE 'pass' END,
       g % 50 = 0,
       :inbound_id,
       1, t.at, t.at,
       CASE WHEN g % 3 = 0 THEN ti.title END,
       CASE WHEN g % 5 = 0 THEN ARRAY['politics', 'opinion'] ELSE '{}' END,
       CASE WHEN p.asg < 0.3 THEN :first_assignee + (g % 20) END,
       greatest(t.at, now()) + interval '7 days'
FROM generate_series(:lo, :hi) AS g
-- Spread over 2019-01-01 .. 2026-11-01, in id order (mail arrives in order),
-- with jitter so that neighbours are not evenly spaced.
CROSS JOIN LATERAL (
    SELECT to_timestamp(1546300800 + (g - 1)::float8 * 247190400 / :rows + random() * 60) AS at
) AS t
CROSS JOIN LATERAL (SELECT random() + 0 * g AS st, random() + 0 * g AS asg) AS p
CROSS JOIN LATERAL (
    SELECT (string_to_array('Amira Ben Chloe David Elena Farid Grace Hugo Ines Jonas Kofi Lena Marta '
                            'Nadia Omar Priya Quentin Rosa Samir Tomas Uma Victor Wen Yara Zoe', ' '))[1 + (g * 7) % 25] AS first,
           (string_to_array('Haddad Okafor Novak Fischer Garcia Kim Rossi Silva Dubois Jensen Tanaka '
                            'Kowalski Mensah Petrov Larsen Moreau Costa Ahmed Nguyen Brennan Ivanova '
                            'Schmidt Lopez Yilmaz Walsh Sato Osei Varga Lindqvist', ' '))[1 + (g * 13) % 29] AS last
) AS a
CROSS JOIN LATERAL (
    SELECT initcap(array_to_string((string_to_array(s.text, ' '))[1:7], ' ')) AS title
    FROM (SELECT 1 + floor(random() * 400000)::int + 0 * g AS k OFFSET 0) AS r
    JOIN api_bench_sentences s ON s.n = r.k
) AS ti
CROSS JOIN LATERAL (
    SELECT string_agg(s.text, ' ' ORDER BY r.i, s.n) AS body
    FROM (SELECT i, 1 + floor(random() * (400000 - :run))::int + 0 * g AS k
          FROM generate_series(1, 5) AS i OFFSET 0) AS r
    JOIN api_bench_sentences s ON s.n BETWEEN r.k AND r.k + :run - 1
) AS b;
\endif

\if :do_finish
-- A fifth of the pieces came with a document.
INSERT INTO attachments (inbound_message_id, submission_id, n, filename, content_type, size, content, is_article)
SELECT inbound_message_id, id, 1, 'article-' || id || '.docx',
       'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 2048,
       decode(repeat('00', 256), 'hex'), true
FROM submissions WHERE id % 5 = 0;
SELECT setval('submissions_id_seq', (SELECT max(id) FROM submissions));
CREATE INDEX submissions_received_search ON submissions USING gin (received_at, search);
DROP TABLE api_bench_sentences;
-- api_bench_vocab stays: bench/api picks its search words from it by rank.
\endif
