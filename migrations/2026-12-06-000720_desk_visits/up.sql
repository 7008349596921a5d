-- "New since my last visit": when each account last looked at the queue,
-- and, for each desk session, when its account had last looked before the
-- session began (what the session counts as new). Both nullable: an
-- account that never looked sees everything as new. Adding nullable
-- columns without a default rewrites no rows.
ALTER TABLE users ADD COLUMN queue_seen_at timestamptz;
ALTER TABLE desk_sessions ADD COLUMN last_visit_at timestamptz;
