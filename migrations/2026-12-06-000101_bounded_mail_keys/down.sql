-- Puts the ids kept as digests back in full where the original is known
-- (the message that brought it) and fits an index row as it did before.
UPDATE submission_thread_ids AS thread
SET message_id = message.message_id
FROM inbound_messages AS message
WHERE message.submission_id = thread.submission_id
  AND octet_length(message.message_id) BETWEEN 251 AND 2000
  AND thread.message_id
      = 'sha256:' || encode(sha256(convert_to(message.message_id, 'UTF8')), 'hex');

UPDATE inbound_messages
SET dedup_key = 'mid:' || message_id
WHERE octet_length(message_id) BETWEEN 251 AND 2000
  AND dedup_key = 'mid:sha256:' || encode(sha256(convert_to(message_id, 'UTF8')), 'hex');
