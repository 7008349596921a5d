-- One row per IMAP mailbox the service reads (OPED_IMAP_URL). The poller that
-- holds the mailbox's advisory lock advances last_uid in the same transaction
-- that records the message, so the row and the recorded mail never disagree.
-- The status columns are what editors and /readyz see.
CREATE TABLE imap_mailboxes (
    id BIGSERIAL PRIMARY KEY,
    -- user@host:port/folder: never the password.
    mailbox TEXT NOT NULL UNIQUE,
    -- UIDVALIDITY and UIDs are 32-bit unsigned in IMAP, hence BIGINT.
    uid_validity BIGINT,
    last_uid BIGINT NOT NULL DEFAULT 0,
    resyncs INTEGER NOT NULL DEFAULT 0,
    active_poller TEXT,
    active_since TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    last_error TEXT,
    last_error_at TIMESTAMPTZ,
    backlog INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
