-- A new submission's reference, `OE-<year of receipt, UTC>-<number, at least
-- four digits>`, computed in the statement that inserts the submission, so
-- intake needs no round trip of its own to draw the number.
CREATE FUNCTION next_submission_reference(received_at timestamptz) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT 'OE-' || extract(year FROM received_at AT TIME ZONE 'UTC')::integer
        || '-' || lpad(n::text, greatest(4, length(n::text)), '0')
    FROM nextval('submission_reference_seq') AS n
$$;

-- A submission's attachments as the editors' detail lists them (no content),
-- oldest first, so that the detail reads the piece, its assignee, its
-- attachments and the caller's account in one statement. PL/pgSQL keeps the
-- plan for the session.
CREATE FUNCTION submission_attachments(submission bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'n', n, 'filename', filename, 'content_type', content_type,
                   'size', size, 'is_article', is_article,
                   'extraction_error', extraction_error) ORDER BY n), '[]'::jsonb)
        FROM attachments WHERE submission_id = submission);
END
$$;
