-- Loads the public API benchmark's data set (used by bench/public; not a migration).
--
--   psql -v pieces=10000 -v others=2000 -v retracted=20 -f bench/public_load.sql
--
-- Run on a freshly migrated, otherwise empty database; one session, a few
-- seconds for 10,000 pieces. VACUUM ANALYZE is run by bench/public afterwards.
--
-- What it makes:
--   * `pieces` published op-eds: state 'published', slug 'piece-<n>' (n = 1 is
--     the oldest), published_at = received_at, version 1..6 (so ETags differ),
--     spread over 2019-01-01 .. 2026-11-01;
--   * `retracted` pieces that were published and taken down (state
--     'approved', as unpublishing leaves them; slug 'retracted-<n>',
--     published_at and retracted_at set): their slugs answer 410;
--   * `others` submissions never published (draft, in review, rejected), no
--     slug, interleaved in time: the table is not all public;
--   * one shared inbound message (every submission must point at one).
-- The text is realistic in shape for the sanitiser: about 800 words of
-- English-like prose in <p> paragraphs of 2 to 6 sentences, with <em> in
-- about one sentence in nine and an <a href="https://..."> in one in
-- fourteen; body_text is the same text without markup. Sentences come from
-- a pool of 20,000 (8 to 24 words from a 330-word vocabulary drawn with a
-- Zipf-like law); each body is 50 consecutive sentences from a random place
-- in the pool, so bodies differ but share the pool's statistics.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SET synchronous_commit = off;
SET jit = off;

BEGIN;
CREATE TEMP TABLE pb_vocab (rank INTEGER PRIMARY KEY, word TEXT NOT NULL);
INSERT INTO pb_vocab
SELECT ordinality, word FROM unnest(string_to_array(
    'the of and to a in is that for it as with was on be by this are not or have from '
    'but an they which you we at his her one their there been has more will would all '
    'can if who so what no about than when people also its only new some into may other '
    'could our these time most should government public now those many like over even '
    'after must because first years how city country state policy law power world between '
    'health school money work children market security climate water energy rights war '
    'economy election court housing tax police budget trade europe china india africa '
    'america president minister parliament council union party vote democracy reform '
    'every year still while where before against under without however since though '
    'during rather already always never often perhaps indeed simply merely clearly '
    'families workers farmers teachers doctors voters leaders citizens cities villages '
    'schools hospitals roads ports prices wages rents loans debts taxes subsidies '
    'promise failure success crisis recovery growth decline choice cost risk evidence '
    'question answer problem solution plan strategy decade generation future history '
    'nation region border coast river desert capital province district neighbourhood '
    'build spend cut raise lower protect defend ignore fund support oppose demand '
    'recognise understand believe argue know say see show tell ask need want fear '
    'hope expect allow prevent change remain become seem appear begin continue end '
    'long short high low large small old young rich poor strong weak fair unfair '
    'clear hard easy true false real serious local national global private open '
    'closed safe dangerous cheap expensive free honest modern urgent difficult '
    'central regional foreign domestic rural urban fiscal monetary social political '
    'economic legal moral public-sector so-called long-term short-term well-known '
    'reform agenda coalition opposition ministry treasury regulator watchdog tribunal '
    'referendum mandate majority minority consensus compromise deadline scandal '
    'pension insurance subsidy tariff inflation unemployment productivity investment '
    'infrastructure transport railway airport harbour pipeline grid reservoir drought '
    'flood harvest famine migration asylum refugee diaspora census registry archive', ' '))
    WITH ORDINALITY AS t(word, ordinality);
SELECT count(*) AS vocab FROM pb_vocab \gset

-- Each sentence: its length, whether it ends a paragraph, and its markup.
CREATE TEMP TABLE pb_shape AS
SELECT n,
       8 + floor(random() * 17)::int AS len,
       random() < 0.25 AS para_end,
       CASE WHEN r < 0.11 THEN 'em' WHEN r < 0.18 THEN 'a' ELSE '' END AS mark,
       2 + floor(random() * 5)::int AS k
FROM (SELECT n, random() + 0 * n AS r FROM generate_series(1, 20000) AS n) AS s;

CREATE TEMP TABLE pb_sentences (n INTEGER PRIMARY KEY, text TEXT NOT NULL, html TEXT NOT NULL, para_end BOOLEAN NOT NULL);
INSERT INTO pb_sentences
SELECT sh.n,
       string_agg(CASE WHEN w.i = 1 THEN initcap(w.word) ELSE w.word END, ' ' ORDER BY w.i) || '.',
       string_agg(CASE
           WHEN w.i = 1 THEN initcap(w.word)
           WHEN sh.mark = 'em' AND w.i = sh.k THEN '<em>' || w.word || '</em>'
           WHEN sh.mark = 'a' AND w.i = sh.k THEN '<a href="https://www.example.org/reports/' || sh.n || '">' || w.word
           WHEN sh.mark = 'a' AND w.i = sh.k + 2 THEN w.word || '</a>'
           ELSE w.word END, ' ' ORDER BY w.i) || '.',
       sh.para_end
FROM pb_shape AS sh
CROSS JOIN LATERAL (
    SELECT p.i, v.word
    FROM (SELECT i, least(:vocab, floor(exp(random() * ln(:vocab + 1)))::int + 0 * i) AS rank
          FROM generate_series(1, sh.len) AS i OFFSET 0) AS p
    JOIN pb_vocab v ON v.rank = p.rank
) AS w
GROUP BY sh.n, sh.para_end;

-- One shared inbound message: every submission must point at one.
INSERT INTO inbound_messages (received_at, outcome, raw, raw_size, raw_sha256, message_id)
VALUES ('2019-01-01T00:00:00Z', 'submission', '\x00', 1, repeat('0', 64), '<public-bench@example.org>')
RETURNING id AS inbound_id \gset

-- All rows in time order: kind 'published' (n-th of them gets slug piece-<n>),
-- 'retracted' or 'other', shuffled so that the kinds interleave in time.
CREATE TEMP TABLE pb_rows AS
SELECT row_number() OVER (ORDER BY o) AS g, kind
FROM (
    SELECT 'published' AS kind, random() AS o FROM generate_series(1, :pieces)
    UNION ALL SELECT 'retracted', random() FROM generate_series(1, :retracted)
    UNION ALL SELECT 'other', random() FROM generate_series(1, :others)
) AS k;
SELECT count(*) AS total FROM pb_rows \gset

INSERT INTO submissions (
    id, reference, state, title, author_name, author_email, received_at, message_id,
    body_text, body_html, cover_note, word_count, auth_verdict, suspicious,
    inbound_message_id, version, created_at, updated_at, standfirst, slug, author_bio,
    tags, published_at, retracted_at, respond_by)
SELECT r.g,
       'OE-' || to_char(t.at AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(r.g::text, 6, '0'),
       CASE r.kind WHEN 'published' THEN 'published' WHEN 'retracted' THEN 'approved'
           ELSE (ARRAY['draft', 'draft', 'in_review', 'rejected'])[1 + r.g % 4] END,
       ti.title,
       a.first || ' ' || a.last,
       lower(a.first || '.' || a.last || (r.g % 997)) || '@example.org',
       t.at,
       '<public-bench-' || r.g || '@example.org>',
       b.body_text,
       b.body_html,
       CASE WHEN r.g % 4 = 0 THEN 'Dear editor, please consider the attached piece.' END,
       b.words,
       CASE WHEN r.g % 10 = 0 THEN 'none' ELSE 'pass' END,
       false,
       :inbound_id,
       v.version,
       t.at,
       t.at + (v.version - 1) * interval '37 minutes',
       CASE WHEN r.kind <> 'other' THEN ti.standfirst END,
       CASE r.kind
           WHEN 'published' THEN 'piece-' || row_number() OVER (PARTITION BY r.kind ORDER BY r.g)
           WHEN 'retracted' THEN 'retracted-' || row_number() OVER (PARTITION BY r.kind ORDER BY r.g) END,
       CASE WHEN r.kind <> 'other' THEN a.first || ' ' || a.last || ' writes about ' || tg.t1 || ' and ' || tg.t2 || '.' END,
       CASE WHEN r.kind <> 'other' THEN ARRAY[tg.t1, tg.t2] ELSE '{}' END,
       CASE WHEN r.kind <> 'other' THEN t.at END,
       CASE WHEN r.kind = 'retracted' THEN t.at + interval '3 days' END,
       greatest(t.at, now()) + interval '7 days'
FROM pb_rows AS r
-- Spread over 2019-01-01 .. 2026-11-01 in g order, with jitter.
CROSS JOIN LATERAL (
    SELECT to_timestamp(1546300800 + (r.g - 1)::float8 * 247190400 / :total + random() * 60) AS at
) AS t
CROSS JOIN LATERAL (SELECT 1 + floor(random() * 6)::int + 0 * r.g AS version) AS v
CROSS JOIN LATERAL (
    SELECT (string_to_array('Amira Ben Chloe David Elena Farid Grace Hugo Ines Jonas Kofi Lena Marta '
                            'Nadia Omar Priya Quentin Rosa Samir Tomas Uma Victor Wen Yara Zoe', ' '))[1 + (r.g * 7) % 25] AS first,
           (string_to_array('Haddad Okafor Novak Fischer Garcia Kim Rossi Silva Dubois Jensen Tanaka '
                            'Kowalski Mensah Petrov Larsen Moreau Costa Ahmed Nguyen Brennan Ivanova '
                            'Schmidt Lopez Yilmaz Walsh Sato Osei Varga Lindqvist', ' '))[1 + (r.g * 13) % 29] AS last
) AS a
CROSS JOIN LATERAL (
    SELECT (string_to_array('economy politics climate health education housing justice europe africa '
                            'energy trade security culture technology', ' '))[1 + (r.g * 3) % 14] AS t1,
           (string_to_array('opinion analysis reform policy elections budget rights cities', ' '))[1 + (r.g * 5) % 8] AS t2
) AS tg
CROSS JOIN LATERAL (
    SELECT initcap(rtrim(array_to_string((string_to_array(s.text, ' '))[1:7], ' '), '.')) AS title,
           s.text AS standfirst
    FROM (SELECT 1 + floor(random() * 20000)::int + 0 * r.g AS k OFFSET 0) AS x
    JOIN pb_sentences s ON s.n = x.k
) AS ti
CROSS JOIN LATERAL (
    SELECT string_agg(s.text, CASE WHEN s.para_end THEN E'\n\n' ELSE ' ' END ORDER BY s.n) AS body_text,
           '<p>' || string_agg(s.html || CASE WHEN s.n = x.k + 49 THEN '</p>'
                                              WHEN s.para_end THEN E'</p>\n<p>' ELSE ' ' END, '' ORDER BY s.n) AS body_html,
           sum(array_length(string_to_array(s.text, ' '), 1))::int AS words
    FROM (SELECT 1 + floor(random() * (20000 - 50))::int + 0 * r.g AS k OFFSET 0) AS x
    JOIN pb_sentences s ON s.n BETWEEN x.k AND x.k + 49
) AS b;

SELECT setval('submissions_id_seq', (SELECT max(id) FROM submissions)) AS last_id \gset
COMMIT;
