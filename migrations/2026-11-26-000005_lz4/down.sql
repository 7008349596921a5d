ALTER TABLE inbound_messages ALTER COLUMN raw SET COMPRESSION default;
ALTER TABLE submissions ALTER COLUMN body_text SET COMPRESSION default,
                        ALTER COLUMN body_html SET COMPRESSION default;
ALTER TABLE submission_revisions ALTER COLUMN body_text SET COMPRESSION default,
                                 ALTER COLUMN body_html SET COMPRESSION default;
ALTER TABLE attachments ALTER COLUMN content SET COMPRESSION default;
