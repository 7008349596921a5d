-- Large values compress with LZ4 instead of pglz where the server supports it:
-- intake spent a fifth of PostgreSQL's CPU compressing message bodies.
-- Only newly written values are affected; servers built without LZ4 keep pglz.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_settings
        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
    ) THEN
        ALTER TABLE inbound_messages ALTER COLUMN raw SET COMPRESSION lz4;
        ALTER TABLE submissions ALTER COLUMN body_text SET COMPRESSION lz4,
                                ALTER COLUMN body_html SET COMPRESSION lz4;
        ALTER TABLE submission_revisions ALTER COLUMN body_text SET COMPRESSION lz4,
                                         ALTER COLUMN body_html SET COMPRESSION lz4;
        ALTER TABLE attachments ALTER COLUMN content SET COMPRESSION lz4;
    END IF;
END
$$;
