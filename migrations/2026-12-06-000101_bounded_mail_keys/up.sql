-- Ids from mail are bounded before they are indexed (src/intake/keys.rs):
-- one longer than 250 bytes is kept in the thread and dedup keys as
-- 'sha256:' and the hex SHA-256 of its UTF-8 bytes. Ids stored before in
-- full are rewritten the same way, so replies to old mail and redeliveries
-- of it still find their match. The originals stay in the unindexed
-- inbound_messages.message_id and submissions.message_id.
UPDATE submission_thread_ids
SET message_id = 'sha256:' || encode(sha256(convert_to(message_id, 'UTF8')), 'hex')
WHERE octet_length(message_id) > 250;

UPDATE inbound_messages
SET dedup_key = 'mid:sha256:' || encode(sha256(convert_to(substr(dedup_key, 5), 'UTF8')), 'hex')
WHERE dedup_key LIKE 'mid:%' AND octet_length(dedup_key) > 254;
