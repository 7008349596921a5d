-- Corrections to published pieces: appended by publishers, shown under the
-- piece to readers, never edited or removed.
CREATE TABLE submission_corrections (
    id BIGSERIAL PRIMARY KEY,
    submission_id BIGINT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    author_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX submission_corrections_submission ON submission_corrections (submission_id, id);

-- What readers were told stays told: a correction is never rewritten.
CREATE FUNCTION refuse_correction_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a correction is never edited: add another';
END
$$;
CREATE TRIGGER submission_corrections_append_only
    BEFORE UPDATE ON submission_corrections
    FOR EACH ROW EXECUTE FUNCTION refuse_correction_update();

-- A piece's corrections as its public form carries them, oldest first, so
-- that the public reads stay one prepared statement (as submission_attachments).
CREATE FUNCTION public_corrections(submission bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(jsonb_agg(jsonb_build_object('text', body, 'at', created_at) ORDER BY id),
                        '[]'::jsonb)
        FROM submission_corrections WHERE submission_id = submission);
END
$$;
