DROP FUNCTION submission_attachments(bigint);
DROP FUNCTION next_submission_reference(timestamptz);
