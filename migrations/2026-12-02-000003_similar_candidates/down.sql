ALTER INDEX submission_fingerprints_bands RESET (fastupdate);
DROP FUNCTION similar_candidates(bigint[], timestamptz, integer);
