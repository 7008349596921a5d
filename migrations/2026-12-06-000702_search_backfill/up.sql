-- The new search words of the pieces that arrived before the trigger of
-- …000701, 5,000 pieces a transaction: each batch locks only its own rows,
-- for as long as it takes (writes to other pieces go on), and what is done
-- stays done if the migration is stopped. One statement, outside any
-- transaction (metadata.toml), so the block may commit as it goes.
DO $$
DECLARE
    next_id bigint;
    last_id bigint;
BEGIN
    SELECT min(id), max(id) INTO next_id, last_id FROM submissions WHERE search_next IS NULL;
    WHILE next_id <= last_id LOOP
        UPDATE submissions
        SET search_next = submission_search(title, author_name, author_email, body_text)
        WHERE id >= next_id AND id < next_id + 5000 AND search_next IS NULL;
        COMMIT;
        next_id := next_id + 5000;
    END LOOP;
END
$$;
