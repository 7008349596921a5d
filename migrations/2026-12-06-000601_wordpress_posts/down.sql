DROP TABLE wordpress_posts;
DELETE FROM outbox WHERE kind = 'wordpress';
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('email', 'webhook'));
