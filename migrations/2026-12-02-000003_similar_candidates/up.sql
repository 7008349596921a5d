-- The fingerprints of a window that share a band with a new piece's, latest
-- first, with what near-duplicates show of their pieces. Always through the
-- bands' GIN index: to the planner a band-list comparison costs next to
-- nothing, but it is 256 comparisons (~5 µs) a row, so a plan that reads the
-- table costs every new piece a pass over every fingerprint of the window
-- (measured: 12 ms a mail by 10,000 pieces, and growing with each one).
-- Hence `SET enable_seqscan = off` for this function alone.
CREATE FUNCTION similar_candidates(print_bands bigint[], since timestamptz, most integer)
RETURNS TABLE (id bigint, reference text, author_email text, state text, signature integer[])
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT s.id, s.reference, s.author_email, s.state, f.signature
        FROM submission_fingerprints AS f
        JOIN submissions AS s ON s.id = f.submission_id
        WHERE f.bands && print_bands AND f.received_at >= since
        ORDER BY f.received_at DESC
        LIMIT most;
END
$$;

-- Every new piece looks its bands up as it is stored: with the GIN index's
-- pending list (fastupdate), each lookup would also read every entry added
-- since the list was last merged, which without autovacuum is up to 4 MB.
-- New entries go straight into the index instead.
ALTER INDEX submission_fingerprints_bands SET (fastupdate = off);
