ALTER TABLE desk_sessions DROP COLUMN last_visit_at;
ALTER TABLE users DROP COLUMN queue_seen_at;
