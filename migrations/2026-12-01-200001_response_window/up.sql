-- The response window: when the desk owes each piece an answer, fixed when
-- the piece arrives (a later change of the setting does not move a promise
-- already made), and when an editor held it (a piece is held at most once).
ALTER TABLE submissions ADD COLUMN respond_by TIMESTAMPTZ;
ALTER TABLE submissions ADD COLUMN held_at TIMESTAMPTZ;

-- Pieces already here get a deadline under the default rule: five working
-- days, Monday to Friday, on UTC days, from when they were received or from
-- now when that is later (nobody was promised an answer before, so the
-- upgrade releases no backlog at once; a piece received on a weekend starts
-- on Monday at 00:00). The same rule as `calendar::add_business_days`.
CREATE OR REPLACE FUNCTION pg_temp.default_respond_by(received timestamptz)
RETURNS timestamptz LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    local timestamp := received AT TIME ZONE 'UTC';
    counted integer := 0;
BEGIN
    IF extract(isodow FROM local) > 5 THEN
        local := date_trunc('day', local);
        WHILE extract(isodow FROM local) > 5 LOOP
            local := local + interval '1 day';
        END LOOP;
    END IF;
    WHILE counted < 5 LOOP
        local := local + interval '1 day';
        IF extract(isodow FROM local) <= 5 THEN
            counted := counted + 1;
        END IF;
    END LOOP;
    RETURN local AT TIME ZONE 'UTC';
END
$$;

UPDATE submissions SET respond_by = pg_temp.default_respond_by(greatest(received_at, now()));
DROP FUNCTION pg_temp.default_respond_by(timestamptz);

ALTER TABLE submissions ALTER COLUMN respond_by SET NOT NULL;

-- What the scheduler releases, and the desk's "what expires today" list.
CREATE INDEX submissions_open_by_deadline ON submissions (respond_by, id)
    WHERE state IN ('draft', 'in_review');
