-- Near-duplicates: each submission's MinHash signature and its LSH bands
-- (text::fingerprint), found by band overlap through the GIN index.
-- Pieces received before this migration get theirs from the workers
-- (submissions::similar::backfill).
CREATE TABLE submission_fingerprints (
    submission_id BIGINT PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    received_at TIMESTAMPTZ NOT NULL,
    signature INTEGER[] NOT NULL,
    bands BIGINT[] NOT NULL
);
CREATE INDEX submission_fingerprints_bands ON submission_fingerprints USING gin (bands);

-- Pairs found similar, written both ways so each piece shows the other.
CREATE TABLE submission_similarities (
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    similar_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    similarity REAL NOT NULL CHECK (similarity > 0 AND similarity <= 1),
    PRIMARY KEY (submission_id, similar_id),
    CHECK (submission_id <> similar_id)
);

-- What the editors' detail shows: the 20 most similar pieces, most similar
-- first (a function, so the detail stays one prepared statement; a bound, so
-- a piece copied a thousand times still reads in one small answer).
CREATE FUNCTION submission_similar(submission bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'id', s.id, 'reference', s.reference, 'similarity', x.similarity)
                   ORDER BY x.similarity DESC, s.id), '[]'::jsonb)
        FROM (SELECT similar_id, similarity FROM submission_similarities
              WHERE submission_id = submission
              ORDER BY similarity DESC, similar_id LIMIT 20) x
        JOIN submissions s ON s.id = x.similar_id);
END
$$;
